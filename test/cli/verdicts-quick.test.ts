/**
 * `replcheck verdicts`: with --quick the runs a manifest marks slow are listed as skipped, not run;
 * a recorded counterexample must be the committed file, byte for byte.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { renderVerdicts, runVerdicts, VERDICTS_COLUMNS, type VerdictRow } from "../../model/cli/verdicts.js"
import { Files } from "../../model/cli/files.js"
import { WorkerThreads } from "../../model/engine/parallel.js"
import { defineProtocol, defineState, global, uint } from "../../model/kit/index.js"

const State = defineState(() => ({ x: global(uint(9)) }))
const counter = defineProtocol({
  name: "tiny",
  summary: "x counts up to a bound",
  bounds: { top: { default: 3, min: 1, max: 9, description: "how far x goes" } },
  state: State,
  actions: () => [State.action("Up").then((t, _a, s) => void (t.x = s.x + 1))],
  constraint: (s, b) => s.x <= b.top,
  invariants: () => [State.invariant("Small", "x stays below 4", (s) => s.x < 4)],
  manifest: {
    protocol: "tiny",
    runs: [
      { name: "small", config: { top: 2 }, result: "success", distinct: 3 },
      // Recorded wrongly on purpose: were it run, the table would say so.
      { name: "big", config: { top: 8 }, result: "success", distinct: 1, slow: true },
      { name: "over", result: "violation", violated: "Small", traceLength: 5, trace: true }
    ]
  }
})
const traces = mkdtempSync(join(tmpdir(), "replcheck-quick-"))
// No committed counterexamples for this protocol: the first two tests compare nothing.
const noCommitted = { committed: traces }

describe("verdicts --quick", () => {
  it("runs the runs not marked slow and lists the slow ones as skipped", async () => {
    const rows = await Effect.runPromise(runVerdicts(counter, { workers: 1, traces, quick: true, ...noCommitted }).pipe(Effect.provide([WorkerThreads.layer, Files.layer])))
    expect(rows.map((r) => [r.name, r.skipped, r.asRecorded, r.distinct])).toEqual([
      ["small", false, true, 3],
      ["big", true, true, 0],
      ["over", false, true, 4]
    ])
    const table = renderVerdicts(counter, rows)
    expect(table).toMatch(/big .*skipped \(slow\)/)
    expect(table).toMatch(/all 2 runs gave their recorded verdicts; 1 slow run skipped/)
  })
  it("runs every run without it (and so finds the wrong record)", async () => {
    const rows = await Effect.runPromise(runVerdicts(counter, { workers: 1, traces, ...noCommitted }).pipe(Effect.provide([WorkerThreads.layer, Files.layer])))
    expect(rows.map((r) => [r.name, r.skipped, r.asRecorded, r.distinct])).toEqual([
      ["small", false, true, 3],
      ["big", false, false, 5],
      ["over", false, true, 4]
    ])
  })
  it("compares each recorded counterexample with the committed one", async () => {
    const written = readFileSync(join(traces, "tiny", "over.itf.json"), "utf8")
    const verdict = async (committedFile: string | null) => {
      const committed = mkdtempSync(join(tmpdir(), "replcheck-committed-"))
      if (committedFile !== null) {
        mkdirSync(join(committed, "tiny"))
        writeFileSync(join(committed, "tiny", "over.itf.json"), committedFile)
      }
      const rows = await Effect.runPromise(runVerdicts(counter, { workers: 1, traces, quick: true, committed }).pipe(Effect.provide([WorkerThreads.layer, Files.layer])))
      return rows.find((r) => r.name === "over")!.mismatch
    }
    expect(await verdict(written)).toBeNull()
    expect(await verdict(written.replace('"#bigint": "2"', '"#bigint": "1"'))).toMatch(/^the counterexample differs from the committed .*over\.itf\.json$/)
    expect(await verdict(null)).toMatch(/^no committed counterexample /)
  })
})

describe("the verdicts table", () => {
  const row = (over: Partial<VerdictRow>): VerdictRow => ({
    protocol: "tiny", name: "small", variant: "base", bounds: "defaults", invariant: "all", verdict: "holds", distinct: 3, generated: 3,
    seconds: 0.5, traceFile: null, asRecorded: true, mismatch: null, skipped: false, ...over
  })
  const long = "a-run-name-far-longer-than-any-column-could-hold-in-one-hundred-columns-of-text"
  const rows = [
    row({}),
    row({ name: long, variant: long, bounds: "--top 9 ".repeat(12).trim(), verdict: "VIOLATED (lasso, 1234 states)", distinct: 123_456_789_012, seconds: 12345.67, traceFile: `traces/out/tiny/${long}.itf.json` }),
    row({ name: "wrong", asRecorded: false, mismatch: `expected distinct 1, got 5 ${"and more words ".repeat(10)}` }),
    row({ name: "slow", skipped: true, verdict: "skipped (slow)", distinct: 0, seconds: 0 }),
    row({ name: "counts-only", invariant: "none" })
  ]
  const table = renderVerdicts(counter, rows)
  it("fits 100 columns whatever the names, bounds and mismatches, and loses none of them", () => {
    expect(VERDICTS_COLUMNS).toBe(100)
    // Only a word too long for any line (this 102-character file name) may pass 100, on a line of its own.
    for (const line of table.split("\n")) if (line.trim().includes(" ") || line.trim().length <= 94) expect(line.length, line).toBeLessThanOrEqual(100)
    expect(table).toMatch(new RegExp(`\\n {6}traces/out/tiny/${long}\\.itf\\.json\\n`))
    const words = table.split(/\s+/).map((w) => w.replace(/,$/, ""))
    for (const text of [long, "123,456,789,012", "12345.67", `traces/out/tiny/${long}.itf.json`, "VIOLATED"]) expect(words).toContain(text)
    expect(table.replace(/\s+/g, " ")).toContain(`NOT AS RECORDED: expected distinct 1, got 5 ${"and more words ".repeat(10).trim()}`)
  })
  it("breaks between items with the comma inside 100 columns, whatever the lengths", () => {
    for (let n = 1; n <= 120; n++) {
      const t = renderVerdicts(counter, [row({ variant: "v".repeat(n), bounds: "--top 9", invariant: "SomeInvariantName, AnotherOne" })])
      // Past 93 the variant is a word too long for a line with its comma: it stands alone, whole.
      for (const line of t.split("\n")) if (line.trim().includes(" ")) expect(line.length, `${n}: ${line}`).toBeLessThanOrEqual(100)
    }
  })
  it("marks each run: ok as recorded, NO not, -- skipped", () => {
    const marks = table.split("\n").filter((l) => /^(ok|NO|--) /.test(l)).map((l) => l.slice(0, 2))
    expect(marks).toEqual(["ok", "ok", "NO", "--", "ok"])
    expect(table).toMatch(/1 of 4 runs did NOT give their recorded verdicts; 1 slow run skipped/)
    // What each run checked: all invariants, some, or none (a run that records counts only).
    expect(table).toMatch(/\n {6}variant base, defaults, all invariants\n/)
    expect(table).toMatch(/\n {6}variant base, defaults, no invariants\n/)
  })
})
