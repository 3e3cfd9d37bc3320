/** `replcheck check --liveness`: the temporal properties under the model's fairness (engine/liveness.ts), with lasso counterexamples. */
import { join } from "node:path"
import { Effect } from "effect"
import { checkLiveness, LivenessGraphTooLarge } from "../engine/liveness.js"
import type { KitModel } from "../kit/index.js"
import { counterexampleFiles } from "../trace/counterexample.js"
import type { CheckCommand } from "./args.js"
import { UsageError } from "./args.js"
import type { LivenessReport } from "./check-report.js"
import { Files } from "./files.js"

export { LivenessReport } from "./check-report.js"

export const runLiveness = (cmd: CheckCommand & { readonly liveness: NonNullable<CheckCommand["liveness"]> }) =>
  Effect.gen(function* () {
    const model = yield* Effect.try({
      try: () => cmd.protocol.build(cmd.config, cmd.variant) as KitModel,
      catch: (e) => new UsageError({ message: (e as Error).message })
    })
    if ((model.temporalProperties ?? []).length === 0) return yield* Effect.fail(new UsageError({ message: `${cmd.protocol.name} declares no temporal properties (liveness) to check` }))
    const files = yield* Files
    yield* files.checkWritableDir(cmd.out)
    const result = yield* Effect.try({
      try: () => checkLiveness(model, cmd.liveness.properties ? { properties: cmd.liveness.properties } : {}),
      catch: (e) => new UsageError({ message: e instanceof LivenessGraphTooLarge || e instanceof RangeError ? (e as Error).message : String(e) })
    })
    const properties: Array<LivenessReport["properties"][number]> = []
    for (const p of result.properties) {
      if (p.lasso === null) {
        properties.push({ name: p.name, description: p.description, holds: true, counterexample: null })
        continue
      }
      const lasso = p.lasso
      const ctx = { protocol: cmd.protocol.name, variant: cmd.variant, config: cmd.config, invariant: p.name, kind: "liveness" as const, loop: { index: lasso.loop, back: lasso.back, node: lasso.node } }
      const base = join(cmd.out, `${cmd.protocol.name}-${cmd.variant}-${p.name}`)
      const written = yield* files.writeAllAtomic(counterexampleFiles(model, lasso.steps, ctx, base, cmd.html)).pipe(Effect.either)
      const ok = written._tag === "Right"
      properties.push({
        name: p.name,
        description: p.description,
        holds: false,
        counterexample: {
          length: lasso.steps.length,
          loop: lasso.loop,
          node: lasso.node,
          traceFile: ok ? `${base}.itf.json` : null,
          textFile: ok ? `${base}.txt` : null,
          htmlFile: ok && cmd.html ? `${base}.html` : null,
          writeError: ok ? null : written.left.message
        }
      })
    }
    const report: LivenessReport = {
      protocol: cmd.protocol.name,
      variant: cmd.variant,
      config: cmd.config,
      verdict: properties.every((p) => p.holds) ? "ok" : "violation",
      states: result.states,
      edges: result.edges,
      fairness: result.fairness,
      seconds: Math.round(result.seconds * 1000) / 1000,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      properties
    }
    return report
  })

export function renderLiveness(r: LivenessReport): string {
  const lines = [
    `replcheck check ${r.protocol} --liveness (variant ${r.variant}; ${Object.entries(r.config).map(([k, v]) => `${k} = ${v}`).join(", ")})`,
    `fairness: ${r.fairness.length > 0 ? compactFairness(r.fairness) : "none (a behavior may stop in any state)"}`,
    `${r.states.toLocaleString("en-US")} states, ${r.edges.toLocaleString("en-US")} steps in the reachable graph, ${r.seconds.toFixed(2)} s`
  ]
  for (const p of r.properties) {
    const c = p.counterexample
    if (c === null) lines.push(`${p.name}: holds (${p.description})`)
    else {
      lines.push(`${p.name}: VIOLATED${c.node !== null ? ` for node ${c.node}` : ""} (${p.description}): a fair behavior of ${c.length} states that loops back to state ${c.loop + 1}`)
      lines.push(c.writeError === null ? `  trace: ${c.traceFile} and ${c.textFile}${c.htmlFile ? `; explorer: ${c.htmlFile}` : ""}` : `  trace: not written (${c.writeError})`)
    }
  }
  lines.push(r.verdict === "ok" ? "verdict: OK: every temporal property holds under the fairness" : `verdict: VIOLATION of ${r.properties.filter((p) => !p.holds).map((p) => p.name).join(", ")}`)
  return lines.join("\n")
}

/** WF(A(1)), WF(A(2)), WF(A(3)) as WF(A(i)) for i = 1..3: one entry per action and kind. */
function compactFairness(labels: readonly string[]): string {
  const groups = new Map<string, number[]>()
  for (const label of labels) {
    const m = /^(WF|SF)\((\w+)\((\d+)\)\)$/.exec(label)
    const key = m ? `${m[1]}(${m[2]}(i))` : label
    groups.set(key, [...(groups.get(key) ?? []), ...(m ? [Number(m[3])] : [])])
  }
  const nodes = [...new Set([...groups.values()].flat())].sort((a, b) => a - b)
  const perNode = [...groups.values()].some((g) => g.length > 0)
  return [...groups.keys()].join(", ") + (perNode ? ` for each i in ${nodes[0]}..${nodes[nodes.length - 1]}` : "")
}
