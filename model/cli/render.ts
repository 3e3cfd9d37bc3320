/** Human-readable output of the CLI. */
import { flagName } from "../engine/config.js"
import type { Progress } from "../engine/explorer.js"
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
    `workers ${r.workers}, symmetry ${r.symmetry ? "on" : "off"}, deadlock check ${r.deadlock ? "on" : "off"}, memory budget ${mib(r.memoryBudgetBytes)}` +
      (r.disk !== null ? `, on disk under ${r.disk}` : ""),
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

