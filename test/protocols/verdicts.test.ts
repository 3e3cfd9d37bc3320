/**
 * Every built-in protocol with a manifest against it: the base model holds every invariant, each
 * variant breaks the one recorded for it with a counterexample of the recorded length, each
 * counterexample is a real run of its variant and the shortest, recorded counts are reproduced,
 * and the committed trace files are exactly what the checker writes now (regenerate them with
 * `npm run traces`). Runs marked slow are left to `replcheck verdicts` and the benchmarks.
 * Searches run as the CLI runs them: compiled, in a worker thread (vitest's own module
 * transform makes every cross-module call a property lookup, and model code slows down 3-4x).
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { flagName } from "../../model/engine/config.js"
import type { ExploreOptions } from "../../model/engine/explorer.js"
import { checkLiveness } from "../../model/engine/liveness.js"
import { WorkerThreads } from "../../model/engine/parallel.js"
import { successorsOf } from "../../model/engine/path.js"
import { runSearch } from "../../model/engine/run.js"
import type { KitModel, Protocol } from "../../model/kit/index.js"
import { workerScript } from "../../model/protocols/load.js"
import { manifestOf, runConfig, traceFileContents } from "../../model/cli/verdicts.js"
import { builtInProtocols } from "../../model/protocols/index.js"

const withManifests = builtInProtocols.filter((p) => p.manifest !== undefined)

const search = (protocol: Protocol, model: KitModel, config: Record<string, number>, options: ExploreOptions) =>
  Effect.runPromise(
    runSearch(workerScript, { protocol: protocol.name, variant: model.variant, config, symmetry: options.symmetry }, model, { ...options, isolate: true }).pipe(
      Effect.provide(WorkerThreads.layer)
    )
  )

const manifests = new Map(await Promise.all(withManifests.map(async (p) => [p.name, await manifestOf(p)] as const)))

describe.each(withManifests)("$name verdicts (its manifest.json)", (protocol) => {
  const all = manifests.get(protocol.name)!.runs
  // Liveness runs (temporal properties, not invariants) are checked apart, below.
  const runs = all.filter((r) => r.liveness === undefined)
  const livenessRuns = all.filter((r) => r.liveness !== undefined)
  const tracesDir = join(import.meta.dirname, "../../traces", protocol.name)
  it("covers every variant and every invariant", () => {
    const model = protocol.build(protocol.defaults)
    const invariants = [...model.stateInvariants, ...model.stepInvariants].map((i) => i.name)
    expect(new Set(all.map((r) => r.variant))).toEqual(new Set(protocol.variants.map((v) => v.name)))
    expect(new Set(runs.filter((r) => r.result === "violation").map((r) => r.violated))).toEqual(new Set(invariants))
    // Each temporal property holds in some run and is broken in another.
    const temporal = (model.temporalProperties ?? []).map((p) => p.name)
    expect(new Set(livenessRuns.filter((r) => r.result === "violation").map((r) => r.violated))).toEqual(new Set(temporal))
    expect(new Set(livenessRuns.filter((r) => r.result === "success").flatMap((r) => r.liveness!))).toEqual(new Set(temporal))
  })

  it.each(livenessRuns.filter((r) => !r.slow))("$name (liveness): $result $violated", (run) => {
    const model = protocol.build(runConfig(protocol, run), run.variant)
    const r = checkLiveness(model, { properties: run.liveness! })
    const failed = r.properties.find((p) => !p.holds)
    expect(failed?.name).toBe(run.result === "violation" ? run.violated : undefined)
    if (run.traceLength !== undefined) expect(failed!.lasso!.steps).toHaveLength(run.traceLength)
    if (run.distinct !== undefined) expect(r.states).toBe(run.distinct)
  })

  it.each(runs.filter((r) => !r.slow))("$name: $result $violated", async (run) => {
    const config = runConfig(protocol, run)
    const model = protocol.build(config, run.variant, { symmetry: run.symmetry })
    const options: ExploreOptions = { workers: 1, symmetry: run.symmetry, deadlock: false, invariants: run.invariants }
    const r = await search(protocol, model, config, options)
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
    const shorter = await search(protocol, model, config, { ...options, maxDepth: trace.length - 1 })
    expect(shorter.violation).toBeNull()
    // The committed files are what the checker writes now.
    if (run.trace) {
      const files = traceFileContents(protocol, model, config, r.violation!)
      expect(files.itf).toBe(readFileSync(join(tracesDir, `${run.name}.itf.json`), "utf8"))
      expect(files.text).toBe(readFileSync(join(tracesDir, `${run.name}.txt`), "utf8"))
    }
  })

  // The CLI with one worker runs the sequential search (not the worker code above): it too must
  // write the committed counterexample.
  it.each(runs.filter((r) => !r.slow && r.trace))("$name: the same counterexample from the sequential search (check --workers 1)", (run) => {
    const out = mkdtempSync(join(tmpdir(), "replcheck-sequential-"))
    const flags = Object.entries(run.config).flatMap(([k, v]) => [`--${flagName(k)}`, String(v)])
    const args = ["check", protocol.name, "--variant", run.variant, ...flags, ...(run.symmetry ? ["--symmetry"] : []), ...(run.invariants ?? []).flatMap((i) => ["--invariant", i]), "--workers", "1", "--out", out, "--json"]
    const r = spawnSync(process.execPath, [join(import.meta.dirname, "../../bin/replcheck.js"), ...args], { encoding: "utf8" })
    expect(r.status, r.stderr).toBe(1)
    const file = JSON.parse(r.stdout).violation.traceFile as string
    expect(readFileSync(file, "utf8")).toBe(readFileSync(join(tracesDir, `${run.name}.itf.json`), "utf8"))
  })

  // Committed with 2 workers and checked above with 1: with 3 (more than the cores CI has, so
  // threads interleave differently) the counterexample is still the same, byte for byte.
  it.each(runs.filter((r) => !r.slow && r.trace))("$name: the same counterexample with 3 workers", async (run) => {
    const config = runConfig(protocol, run)
    const model = protocol.build(config, run.variant, { symmetry: run.symmetry })
    const r = await search(protocol, model, config, { workers: 3, symmetry: run.symmetry, deadlock: false, invariants: run.invariants })
    expect(traceFileContents(protocol, model, config, r.violation!).itf).toBe(readFileSync(join(tracesDir, `${run.name}.itf.json`), "utf8"))
  })
})
