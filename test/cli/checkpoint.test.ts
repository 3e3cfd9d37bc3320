/**
 * `check --checkpoint DIR` and `--resume DIR` as a user runs them: a search killed with SIGKILL
 * (no chance to clean up, possibly while writing a checkpoint) and resumed reaches the counts of
 * an uninterrupted one; a search stopped by a cap and resumed without it writes the same
 * counterexample; a checkpoint of another search is bad input.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { bin, run, searchOutcome as outcome } from "../support/cli.js"

const temp = () => mkdtempSync(join(tmpdir(), "replcheck-resume-"))

/** Runs replcheck until its stderr reports a checkpoint at `depth` or deeper, then kills it with SIGKILL. */
function killAfterCheckpoint(args: string[], depth: number): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.setEncoding("utf8")
    child.stderr.on("data", (d: string) => {
      stderr += d
      const reached = [...stderr.matchAll(/checkpoint: depth (\d+)/g)].some((m) => Number(m[1]) >= depth)
      if (reached) child.kill("SIGKILL")
    })
    child.on("exit", (_, signal) => resolve({ signal, stderr }))
  })
}

describe("check --checkpoint and --resume", () => {
  it("a search killed with SIGKILL and resumed reaches the counts of an uninterrupted one", async () => {
    const bounds = ["raftmongo", "--workers", "2"]
    const whole = run("check", ...bounds, "--json")
    expect(whole.code).toBe(0)
    const dir = temp()
    const killed = await killAfterCheckpoint(["check", ...bounds, "--checkpoint", dir, "--checkpoint-every", "0"], 8)
    // Killed mid-search: it never printed a verdict.
    expect(killed.signal).toBe("SIGKILL")
    expect(killed.stderr).not.toMatch(/verdict/)
    const resumed = run("check", ...bounds.slice(0, 1), "--resume", dir, "--json")
    expect(resumed.stderr).toBe("")
    expect(resumed.code).toBe(0)
    expect(outcome(resumed.stdout)).toEqual(outcome(whole.stdout))
    const report = JSON.parse(resumed.stdout)
    expect(report.resumed.depth).toBeGreaterThanOrEqual(8)
    expect(report.resumed.depth).toBeLessThan(report.depth)
    expect(report.checkpoint).toEqual({ dir, everySeconds: 600 })
    // The rate is this run's: what it generated, not what the checkpoint had.
    const own = (report.generated - report.resumed.generated) / report.seconds
    expect(report.resumed.generated).toBeGreaterThan(0)
    expect(Math.abs(report.statesPerSecond - own)).toBeLessThan(own * 0.01 + 1)
  }, 60_000)

  it("a search stopped by a cap resumes without it and writes the same counterexample", () => {
    const args = ["raftmongo", "--variant", "commit-by-counting", "--workers", "2"]
    const wholeOut = temp()
    const whole = run("check", ...args, "--json", "--out", wholeOut)
    expect(whole.code).toBe(1)
    const dir = temp()
    const capped = run("check", ...args, "--max-depth", "4", "--checkpoint", dir)
    expect(capped.code).toBe(0)
    expect(capped.stdout).toMatch(new RegExp(`to go on from depth 4: the same command with a larger cap and --resume ${dir}\\nverdict: NO VIOLATION FOUND, INCOMPLETE`))
    const resumedOut = temp()
    const resumed = run("check", "raftmongo", "--variant", "commit-by-counting", "--workers", "1", "--resume", dir, "--json", "--out", resumedOut)
    expect(resumed.code).toBe(1)
    expect(outcome(resumed.stdout)).toEqual(outcome(whole.stdout))
    const files = readdirSync(wholeOut)
    expect(files.length).toBe(2)
    for (const f of files) expect(readFileSync(join(resumedOut, f), "utf8")).toBe(readFileSync(join(wholeOut, f), "utf8"))
  }, 60_000)

  it("refuses to resume another search, or from a directory with no checkpoint (exit 2, one line)", () => {
    const dir = temp()
    expect(run("check", "raftmongo", "--max-depth", "3", "--checkpoint", dir).code).toBe(0)
    const other = run("check", "raftmongo", "--max-term", "2", "--resume", dir)
    expect(other.code).toBe(2)
    expect(other.stderr).toMatch(/^replcheck: --resume .*: the checkpoint in .* is of another search: config \{.*"maxTerm":3.*\} there, \{.*"maxTerm":2.*\} here\n$/)
    const none = run("check", "raftmongo", "--resume", temp())
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^replcheck: --resume .*: no checkpoint to resume in .* \(ENOENT\)\n$/)
    expect(run("check", "raftmongo", "--checkpoint-every", "5").stderr).toMatch(/--checkpoint-every goes with --checkpoint DIR/)
  })
})
