/** `replcheck check --simulate`: random walks checking the invariants (model/engine/simulation.ts). */
import { join } from "node:path"
import { Effect } from "effect"
import { flagName } from "../engine/config.js"
import { selectInvariants } from "../engine/explorer.js"
import { SearchFailed } from "../engine/run.js"
import { simulate } from "../engine/simulation.js"
import { simulateParallel } from "../engine/simulation-parallel.js"
import { workerScript } from "../protocols/load.js"
import { counterexampleFiles, witnessOf } from "../trace/counterexample.js"
import { UsageError, type CheckCommand } from "./args.js"
import { SimulationReport } from "./check-report.js"
import { Files } from "./files.js"

export { SimulationReport } from "./check-report.js"

export const runSimulation = (cmd: CheckCommand & { readonly simulate: NonNullable<CheckCommand["simulate"]> }, onProgress?: (p: { runs: number; steps: number; seconds: number }) => void) =>
  Effect.gen(function* () {
    const model = yield* Effect.try({
      try: () => cmd.protocol.build(cmd.config, cmd.variant, { symmetry: false }),
      catch: (e) => new UsageError({ message: (e as Error).message })
    })
    const selected = yield* Effect.try({
      try: () => selectInvariants(model, cmd.invariants),
      catch: (e) => new UsageError({ message: (e as Error).message })
    })
    const files = yield* Files
    yield* files.checkWritableDir(cmd.out)
    const { runs, depth, seed } = cmd.simulate
    const options = { runs, depth, seed, ...selected, deadlock: cmd.deadlock, ...(onProgress ? { onProgress } : {}) }
    const ref = { protocol: cmd.protocol.name, ...(cmd.protocol.source ? { source: cmd.protocol.source } : {}), variant: cmd.variant, config: cmd.config, symmetry: false }
    const r =
      cmd.workers > 1
        ? yield* simulateParallel(workerScript, ref, model, { ...options, workers: cmd.workers, invariantNames: cmd.invariants }).pipe(Effect.mapError((e) => new SearchFailed({ message: e.message })))
        : simulate(model, options)
    let violation: SimulationReport["violation"] = null
    if (r.violation) {
      const v = r.violation
      const ctx = { protocol: cmd.protocol.name, variant: cmd.variant, config: cmd.config, invariant: v.invariant, kind: v.kind }
      const base = join(cmd.out, `${cmd.protocol.name}-${cmd.variant}-${v.invariant}.simulated`)
      const written = yield* files
        .writeAllAtomic(counterexampleFiles(model, v.shortened, ctx, base, cmd.html))
        .pipe(Effect.either)
      violation = {
        invariant: v.invariant,
        kind: v.kind,
        run: v.run,
        seed: v.seed,
        witness: witnessOf(model, v.shortened, ctx),
        length: v.trace.length,
        shortenedLength: v.shortened.length,
        traceFile: written._tag === "Right" ? `${base}.itf.json` : null,
        textFile: written._tag === "Right" ? `${base}.txt` : null,
        htmlFile: written._tag === "Right" && cmd.html ? `${base}.html` : null,
        writeError: written._tag === "Left" ? written.left.message : null
      }
    }
    const report: SimulationReport = {
      protocol: cmd.protocol.name,
      variant: cmd.variant,
      config: cmd.config,
      verdict: violation ? "violation" : "ok",
      seed,
      runs,
      depth,
      workers: cmd.workers,
      invariants: [...selected.stateInvariants, ...selected.stepInvariants].map((i) => i.name),
      walked: r.runs,
      steps: r.steps,
      generated: r.generated,
      longest: r.longest,
      endedEarly: r.endedEarly,
      seconds: Math.round(r.seconds * 1000) / 1000,
      runsPerSecond: r.seconds > 0 ? Math.round((r.runs / r.seconds) * 10) / 10 : 0,
      stepsPerSecond: r.seconds > 0 ? Math.round(r.steps / r.seconds) : 0,
      coverage: Object.fromEntries(r.coverage.map((c) => [c.action, c.count])),
      neverTaken: r.coverage.filter((c) => c.count === 0).map((c) => c.action),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      violation
    }
    return report
  })

const num = (n: number) => Math.round(n).toLocaleString("en-US")

export function renderSimulation(r: SimulationReport): string {
  const bounds = Object.entries(r.config).map(([k, v]) => `--${flagName(k)} ${v}`).join(" ")
  const lines = [
    `replcheck check ${r.protocol} ${bounds} --simulate --runs ${r.runs} --depth ${r.depth} --seed ${r.seed} (variant ${r.variant}, workers ${r.workers})`,
    `invariants: ${r.invariants.length > 0 ? r.invariants.join(", ") : "(none)"}`,
    `${num(r.walked)} runs, ${num(r.steps)} steps, ${num(r.generated)} states generated and checked, longest run ${r.longest} steps, ` +
      `${num(r.endedEarly)} ended early; ${r.seconds.toFixed(2)} s (${r.runsPerSecond} runs/s, ${num(r.stepsPerSecond)} steps/s)`,
    `coverage (steps taken): ${Object.entries(r.coverage).map(([a, c]) => `${a} ${num(c)}`).join(", ")}`
  ]
  if (r.neverTaken.length > 0) lines.push(`warning: actions never taken: ${r.neverTaken.join(", ")}`)
  if (r.violation) {
    const v = r.violation
    const what = v.kind === "deadlock" ? "DEADLOCK" : `VIOLATION of ${v.invariant}`
    lines.push(`verdict: ${what} in run ${v.run} (walk it alone with --seed ${v.seed} --runs 1): ${v.length} states, shortened to ${v.shortenedLength}`)
    if (v.witness !== null) lines.push(`because ${v.witness}`)
    lines.push(v.writeError === null ? `trace (shortened): ${v.traceFile} and ${v.textFile}${v.htmlFile ? `; explorer: ${v.htmlFile}` : ""}` : `trace: not written (${v.writeError})`)
  } else lines.push(`verdict: NO VIOLATION FOUND in ${num(r.walked)} random runs (a simulation proves nothing about the states it did not walk)`)
  return lines.join("\n")
}
