/** The `replcheck` command as the CLI tests run it: a fresh process of the built bin/replcheck.js. */
import { spawnSync } from "node:child_process"
import { join } from "node:path"

export const bin = join(import.meta.dirname, "../../bin/replcheck.js")

/** Runs `replcheck ...args` to its end: exit status and everything it wrote. */
export function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** What two searches of one model must agree on, from their `check --json` reports. */
export function searchOutcome(stdout: string) {
  const r = JSON.parse(stdout)
  return {
    verdict: r.verdict,
    generated: r.generated,
    distinct: r.distinct,
    depth: r.depth,
    coverage: r.coverage,
    violation: r.violation && { invariant: r.violation.invariant, length: r.violation.length, witness: r.violation.witness }
  }
}
