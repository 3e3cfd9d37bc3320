/**
 * Every protocol with a manifest (rollback, sidecar) against it: the base model holds every
 * invariant, each variant breaks the one recorded for it with a counterexample of the recorded
 * length, each counterexample is a real run of its variant and the shortest, and the committed
 * trace files are exactly what the checker writes now (regenerate them with `npm run traces`).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import type { Protocol } from "../../model/engine/model.js"
import { successorsOf } from "../../model/engine/path.js"
import { runConfig, traceFileContents } from "../../model/cli/verdicts.js"
import { rollback } from "../../model/protocols/rollback/index.js"
import { sidecar } from "../../model/protocols/sidecar/index.js"

describe.each([rollback, sidecar] as Protocol[])("$name verdicts (model/protocols/$name/manifest.json)", (protocol) => {
  const runs = protocol.manifest!.runs
  const tracesDir = join(import.meta.dirname, "../../traces", protocol.name)
  it("covers every variant and every invariant", () => {
    const model = protocol.build(protocol.config.defaults, "base", { symmetry: false })
    const invariants = [...model.stateInvariants, ...model.stepInvariants].map((i) => i.name)
    expect(new Set(runs.map((r) => r.variant))).toEqual(new Set(protocol.variants.map((v) => v.name)))
    expect(new Set(runs.filter((r) => r.result === "violation").map((r) => r.violated))).toEqual(new Set(invariants))
  })

  it.each(runs)("$name: $result $violated", async (run) => {
    const config = runConfig(protocol, run)
    const model = protocol.build(config, run.variant, { symmetry: false })
    const options: ExploreOptions = { workers: 1, symmetry: false, deadlock: false, invariants: run.invariants }
    const r = await explore(model, options, localDriver(model, options))
    if (run.result === "success") {
      expect(r.violation).toBeNull()
      expect(r.stopped).toBeNull()
      for (const k of ["generated", "distinct", "depth"] as const) if (run[k] !== undefined) expect(r[k]).toBe(run[k])
      return
    }
    expect(r.violation?.invariant).toBe(run.violated)
    const trace = r.violation!.trace
    expect(trace).toHaveLength(run.traceLength!)
    // A real run of the variant, checked step by step without the search's bookkeeping.
    expect(trace[0]!.state).toEqual(model.initialStates()[0])
    for (let k = 1; k < trace.length; k++) {
      const same = successorsOf(model, trace[k - 1]!.state).some(
        (s) => s.action!.name === trace[k]!.action!.name && Buffer.from(s.state).equals(Buffer.from(trace[k]!.state))
      )
      expect(same).toBe(true)
    }
    const last = trace[trace.length - 1]!.state
    const before = trace[trace.length - 2]?.state
    const state = model.stateInvariants.find((i) => i.name === run.violated)
    const step = model.stepInvariants.find((i) => i.name === run.violated)
    expect(state ? state.holds(last) : step!.holds(before!, last)).toBe(false)
    // The shortest: nothing is violated within one step less.
    const shorter = await explore(model, { ...options, maxDepth: trace.length - 1 }, localDriver(model, { ...options, maxDepth: trace.length - 1 }))
    expect(shorter.violation).toBeNull()
    // The committed files are what the checker writes now.
    if (run.trace) {
      const files = traceFileContents(protocol, model, config, r.violation!)
      expect(files.itf).toBe(readFileSync(join(tracesDir, `${run.name}.itf.json`), "utf8"))
      expect(files.text).toBe(readFileSync(join(tracesDir, `${run.name}.txt`), "utf8"))
    }
  })
})
