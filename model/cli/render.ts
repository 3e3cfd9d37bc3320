/** Human-readable output of the CLI. */
import { flagName } from "../engine/config.js"
import type { Progress } from "../engine/explorer.js"
import type { Protocol } from "../kit/index.js"
import { referenceImplementations } from "../../impl/index.js"
import type { CheckpointWritten, CheckReport } from "./check.js"

const num = (n: number) => Math.round(n).toLocaleString("en-US")
const rate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : `${Math.round(n)}`)

export function renderProgress(p: Progress): string {
  return (
    `progress: ${p.seconds.toFixed(0)} s, ${num(p.generated)} generated (${rate(p.generated / p.seconds)}/s), ` +
    `${num(p.distinct)} distinct, ${num(p.queue)} queued, depth ${p.depth}`
  )
}

const mib = (bytes: number) => `${num(bytes / 2 ** 20)} MiB`

/** What stopped a search, in words. */
function stopText(s: NonNullable<CheckReport["stopped"]>): string {
  if (s.cap === "memory") return `the next level would pass the memory budget (--memory ${mib(s.limit)}), stopped`
  if (s.cap === "out-of-memory") return `memory ran out in the next level (an allocation failed at ${mib(s.limit)} resident), stopped`
  return `stopped at --${s.cap} ${s.limit}`
}

export function renderCheckpoint(c: CheckpointWritten): string {
  return `checkpoint: depth ${c.depth}, ${num(c.distinct)} distinct states, written to ${c.file} in ${c.writeSeconds.toFixed(1)} s`
}

export function renderReport(r: CheckReport): string {
  const bounds = Object.entries(r.config).map(([k, v]) => `--${flagName(k)} ${v}`).join(" ")
  const lines = [
    `replcheck check ${r.protocol} ${bounds} (variant ${r.variant})`,
    `workers ${r.workers}, symmetry ${r.symmetry ? "on" : "off"}, deadlock check ${r.deadlock ? "on" : "off"}, memory budget ${mib(r.memoryBudgetBytes)}`,
    `invariants: ${r.invariants.length > 0 ? r.invariants.join(", ") : "(none)"}`,
    ...(r.resumed
      ? [`resumed from ${r.resumed.dir} at depth ${r.resumed.depth} (${num(r.resumed.distinct)} distinct states, ${r.resumed.seconds.toFixed(0)} s of search before); the counts are the whole search's, the time this run's`]
      : []),
    `${num(r.generated)} states generated, ${num(r.distinct)} distinct states, depth ${r.depth}, ` +
      `${r.seconds.toFixed(2)} s (${rate(r.statesPerSecond)} states/s)`,
    `coverage: ${Object.entries(r.coverage).map(([a, c]) => `${a} ${num(c)}`).join(", ")}`
  ]
  if (r.neverFired.length > 0) lines.push(`warning: actions that never fired: ${r.neverFired.join(", ")}`)
  if (r.dotFile !== null) lines.push(`reachable graph (Graphviz): ${r.dotFile}`)
  lines.push(`fingerprint collision probability (TLC's optimistic estimate): ${r.collisionProbability.toExponential(1)}`)
  if (r.violation) {
    const what = r.violation.kind === "deadlock" ? "DEADLOCK" : `VIOLATION of ${r.violation.invariant}`
    lines.push(`verdict: ${what}: shortest counterexample has ${r.violation.length} states`)
    if (r.violation.witness !== null) lines.push(`because ${r.violation.witness}`)
    lines.push(r.violation.writeError === null ? `trace: ${r.violation.traceFile} and ${r.violation.textFile}${r.violation.htmlFile ? `; explorer: ${r.violation.htmlFile}` : ""}` : `trace: not written (${r.violation.writeError})`)
  } else if (r.stopped) {
    // A cap's stop writes a checkpoint of the last level (an allocation failure's does not).
    if (r.checkpoint && r.stopped.cap !== "out-of-memory") lines.push(`to go on from depth ${r.depth}: the same command with a larger cap and --resume ${r.checkpoint.dir}`)
    lines.push(
      `verdict: NO VIOLATION FOUND, INCOMPLETE: ${stopText(r.stopped)} ` +
        `with ${num(r.stopped.unexplored)} states left unexplored`
    )
  } else {
    lines.push(`verdict: OK: no invariant violated in the complete state space`)
  }
  return lines.join("\n")
}

export function renderList(ps: readonly Protocol[]): string {
  const out: string[] = []
  for (const p of ps) {
    const model = p.build(p.defaults)
    out.push(`${p.name}: ${p.summary}`)
    out.push(`  bounds:`)
    for (const [field, spec] of Object.entries(p.bounds)) {
      out.push(`    --${flagName(field)} N  default ${spec.default}, ${spec.min}..${spec.max}: ${spec.description}`)
    }
    out.push(`  variables: ${model.layout.fields.map((f) => `${f.name}${f.scope === "node" ? "[node]" : ""}${f.ghost ? " (ghost)" : ""}`).join(", ")}`)
    out.push(`  actions: ${model.families.map((f) => `${f.name}(${f.params.join(", ")})`).join(", ")}`)
    out.push(`  invariants:`)
    for (const i of model.stateInvariants) out.push(`    ${i.name}: ${i.description}`)
    for (const i of model.stepInvariants) out.push(`    ${i.name} (step): ${i.description}`)
    out.push(`  variants:`)
    for (const v of p.variants) out.push(`    ${v.name}: ${v.summary}`)
    out.push(`  symmetry: ${p.symmetric ? "yes (--symmetry)" : "no"}`)
    const impl = referenceImplementations.find((r) => r.protocol === p.name)
    if (impl) out.push(`  reference implementation: replcheck cluster ${p.name} ${Object.keys(impl.flags).map((f) => `[--${f}]`).join(" ")}: ${impl.summary}`)
    out.push("")
  }
  return out.join("\n")
}

export function listJson(ps: readonly Protocol[]) {
  return ps.map((p) => {
    const model = p.build(p.defaults)
    const impl = referenceImplementations.find((r) => r.protocol === p.name)
    return {
      name: p.name,
      summary: p.summary,
      bounds: Object.entries(p.bounds).map(([field, spec]) => ({ field, flag: `--${flagName(field)}`, ...spec })),
      variables: model.layout.fields.map((f) => ({ name: f.name, scope: f.scope, ghost: f.ghost, type: f.type })),
      actions: model.families.map((f) => ({ name: f.name, params: f.params, paramKinds: f.paramKinds ?? [] })),
      invariants: model.stateInvariants
        .map((i) => ({ name: i.name, kind: "state", description: i.description }))
        .concat(model.stepInvariants.map((i) => ({ name: i.name, kind: "step", description: i.description }))),
      variants: p.variants,
      symmetry: p.symmetric,
      referenceImplementation: impl ? { flags: impl.flags, summary: impl.summary } : null
    }
  })
}
