/** `check --liveness` as a user runs it: verdicts, the lasso files (ITF with its loop), exit codes, bad usage. */
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { run } from "../support/cli.js"

describe("check --liveness", () => {
  it("holds: exit 0, the fairness and the graph named", () => {
    const r = run("check", "mutex", "--processes", "3", "--liveness")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("fairness: WF(Exit(i)), SF(Enter(i)) for each i in 1..3")
    expect(r.stdout).toMatch(/^20 states, \d+ steps in the reachable graph/m)
    expect(r.stdout).toMatch(/\nverdict: OK: every temporal property holds under the fairness\n$/)
  })

  it("fails: exit 1, a lasso as ITF (with its loop), text and HTML", () => {
    const out = mkdtempSync(join(tmpdir(), "replcheck-live-"))
    const r = run("check", "mutex", "--variant", "weak-enter", "--liveness", "--property", "WaitingEntersCritical", "--json", "--html", "-o", out)
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout)
    expect(report.verdict).toBe("violation")
    const c = report.properties[0].counterexample
    const itf = JSON.parse(readFileSync(c.traceFile, "utf8"))
    expect(itf.loop).toBe(c.loop)
    expect(itf.states).toHaveLength(c.length)
    expect(itf["#meta"]).toMatchObject({ invariant: "WaitingEntersCritical", kind: "liveness", node: c.node })
    expect(readFileSync(c.textFile, "utf8")).toMatch(new RegExp(`Violated: WaitingEntersCritical \\(node ${c.node}\\)\\n  then back to state ${c.loop + 1} by \\w+\\(i = \\d\\), and round again for ever\\n$`))
    expect(readFileSync(c.htmlFile, "utf8")).toContain(`states ${c.loop + 1} to ${c.length} (marked) repeat for ever`)
  })

  it("bad usage is one line, exit 2", () => {
    expect(run("check", "mutex", "--liveness", "--symmetry")).toMatchObject({ code: 2, stderr: expect.stringMatching(/--liveness is checked without symmetry reduction/) })
    expect(run("check", "mutex", "--property", "WaitingEntersCritical")).toMatchObject({ code: 2, stderr: expect.stringMatching(/--property goes with --liveness/) })
    expect(run("check", "mutex", "--liveness", "--property", "Nope")).toMatchObject({ code: 2, stderr: "replcheck: unknown temporal property Nope (mutex declares: WaitingEntersCritical)\n" })
    expect(run("check", "counter", "--liveness")).toMatchObject({ code: 2, stderr: "replcheck: counter declares no temporal properties (liveness) to check\n" })
  })
})
