/** `replcheck verdicts --quick`: the runs a manifest marks slow are listed as skipped, not run. */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { renderVerdicts, runVerdicts } from "../../model/cli/verdicts.js"
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
  manifest: {
    protocol: "tiny",
    runs: [
      { name: "small", result: "success", distinct: 4 },
      // Recorded wrongly on purpose: were it run, the table would say so.
      { name: "big", config: { top: 8 }, result: "success", distinct: 1, slow: true }
    ]
  }
})
const traces = mkdtempSync(join(tmpdir(), "replcheck-quick-"))

describe("verdicts --quick", () => {
  it("runs the runs not marked slow and lists the slow ones as skipped", async () => {
    const rows = await Effect.runPromise(runVerdicts(counter, { workers: 1, traces, quick: true }).pipe(Effect.provide([WorkerThreads.layer, Files.layer])))
    expect(rows.map((r) => [r.name, r.skipped, r.asRecorded, r.distinct])).toEqual([
      ["small", false, true, 4],
      ["big", true, true, 0]
    ])
    const table = renderVerdicts(counter, rows)
    expect(table).toMatch(/big .*skipped \(slow\)/)
    expect(table).toMatch(/all 1 runs gave their recorded verdicts; 1 slow run skipped/)
  })
  it("runs every run without it (and so finds the wrong record)", async () => {
    const rows = await Effect.runPromise(runVerdicts(counter, { workers: 1, traces }).pipe(Effect.provide([WorkerThreads.layer, Files.layer])))
    expect(rows.map((r) => [r.name, r.skipped, r.asRecorded, r.distinct])).toEqual([
      ["small", false, true, 4],
      ["big", false, false, 9]
    ])
  })
})
