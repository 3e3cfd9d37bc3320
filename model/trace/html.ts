/**
 * The trace explorer: an ITF trace as one self-contained HTML page (no network, no script but a
 * one-line toggle), readable from file://. One row per state, the action that produced it and its
 * arguments; a lane per node with that node's variables; the global variables apart. A value the
 * step changed is highlighted; at the last state, the variables the trace's `#meta.cause` names
 * (the changes that made the invariant false) are marked, under the invariant and its witness.
 *
 * Nodes are found from the trace alone, so that a trace from another tool renders too: a variable
 * is per node when every state holds it as a function (`#map`) from the node ids 1..n.
 */
import { renderValue, type ItfValue } from "./itf.js"

type Doc = {
  readonly "#meta"?: Record<string, unknown>
  readonly vars?: readonly string[]
  /** A lasso: states[loop ..] repeat for ever. */
  readonly loop?: number
  readonly states: ReadonlyArray<Record<string, unknown>>
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)

/** The node ids a per-node value maps from (1..n), or null when it is not one. */
function nodeIds(v: unknown): number | null {
  if (v === null || typeof v !== "object" || !("#map" in v)) return null
  const entries = (v as { "#map": unknown[] })["#map"]
  if (!Array.isArray(entries) || entries.length === 0) return null
  for (let k = 0; k < entries.length; k++) {
    const key = (entries[k] as [unknown])[0]
    const id = typeof key === "number" ? key : key !== null && typeof key === "object" && "#bigint" in key ? Number((key as { "#bigint": string })["#bigint"]) : NaN
    if (id !== k + 1) return null
  }
  return entries.length
}

/** Node n's entry of a per-node value. */
const entryOf = (v: unknown, node: number) => ((v as { "#map": Array<[unknown, ItfValue]> })["#map"][node - 1]![1])

const show = (v: unknown) => (v === undefined ? "(none)" : renderValue(v as ItfValue))

export function renderExplorer(doc: Doc, title: string): string {
  const meta = doc["#meta"] ?? {}
  const states = doc.states
  const names = (doc.vars ?? Object.keys(states[0] ?? {})).filter((v) => v !== "#meta" && !v.startsWith("mbt::"))
  // Per-node variables: a #map from 1..n in every state, with one n for all of them.
  const counts = names.map((v) => states.map((s) => nodeIds(s[v])))
  const n = Math.max(0, ...counts.flatMap((c) => (c.every((x) => x !== null && x === c[0]) ? [c[0]!] : [])))
  const perNode = names.filter((_, k) => n > 0 && counts[k]!.every((x) => x === n))
  const globals = names.filter((v) => !perNode.includes(v))
  const cause = new Set(Array.isArray(meta["cause"]) ? (meta["cause"] as string[]) : [])
  const last = states.length - 1
  const loop = typeof doc.loop === "number" && doc.loop >= 0 && doc.loop <= last ? doc.loop : null

  const cell = (k: number, variable: string, label: string, value: unknown, before: unknown, causeKey: string) => {
    const changed = k > 0 && JSON.stringify(value) !== JSON.stringify(before)
    const culprit = k === last && cause.has(causeKey)
    const classes = [changed ? "changed" : "same", culprit ? "cause" : ""].filter(Boolean).join(" ")
    return `<div class="${classes}" data-var="${escape(variable)}"><span class="name">${escape(label)}</span> = <span class="value">${escape(show(value))}</span></div>`
  }
  const rows = states.map((s, k) => {
    const m = (s["#meta"] ?? {}) as { action?: string; args?: Record<string, unknown> }
    const action = (s["mbt::actionTaken"] as string | undefined) ?? m.action ?? (k === 0 ? "init" : "")
    const args = m.args ? Object.entries(m.args).map(([a, v]) => `${a} = ${show(v)}`).join(", ") : ""
    const prev = states[k - 1] ?? {}
    const lanes = Array.from({ length: n }, (_, i) => {
      const node = i + 1
      return `<td class="lane">${perNode.map((v) => cell(k, v, v, entryOf(s[v], node), k > 0 ? entryOf(prev[v], node) : undefined, `${v}[${node}]`)).join("")}</td>`
    })
    const global = globals.length > 0 ? `<td class="globals">${globals.map((v) => cell(k, v, v, s[v], prev[v], v)).join("")}</td>` : ""
    return (
      `<tr class="step${k === last ? " last" : ""}${loop !== null && k >= loop ? " loop" : ""}" id="state-${k + 1}"><th class="action"><span class="index">${k + 1}</span> ` +
      `${escape(action)}${args ? `<div class="args">(${escape(args)})</div>` : ""}</th>${lanes.join("")}${global}</tr>`
    )
  })
  const invariant = typeof meta["invariant"] === "string" ? (meta["invariant"] as string) : null
  const witness = typeof meta["witness"] === "string" ? (meta["witness"] as string) : null
  const config = meta["config"] && typeof meta["config"] === "object" ? Object.entries(meta["config"] as object).map(([k, v]) => `${k} = ${v}`).join(", ") : ""
  const heading = [meta["protocol"], meta["variant"] ? `variant ${meta["variant"]}` : "", config].filter((x) => typeof x === "string" && x !== "").join(" · ")
  const verdict = loop !== null
    ? `<p class="verdict">${invariant ? `Violated: <strong>${escape(invariant)}</strong>, by a behavior that never ends: ` : "A behavior that never ends: "}` +
      `${loop === last ? `state ${last + 1} repeats for ever (stuttering)` : `states ${loop + 1} to ${last + 1} (marked) repeat for ever`}.</p>`
    : invariant
    ? `<p class="verdict">Violated at state ${states.length}: <strong>${escape(invariant)}</strong>${witness ? `, because ${escape(witness)}` : ""}.` +
      `${cause.size > 0 ? ` Outlined: the last step's changes that make it false (${escape([...cause].join(", "))}).` : ""}</p>`
    : typeof meta["description"] === "string"
      ? `<p class="verdict">${escape(meta["description"] as string)}</p>`
      : ""
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(title)}</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 1em; color: #222; }
h1 { font-size: 16px; margin: 0 0 .3em; }
.verdict { background: #fff3f3; border-left: 4px solid #c00; padding: .4em .8em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; text-align: left; }
thead th { background: #f4f4f4; position: sticky; top: 0; }
.action { white-space: nowrap; background: #fafafa; }
.index { color: #888; margin-right: .3em; }
.args { font-weight: normal; color: #555; white-space: normal; max-width: 22em; }
.lane div, .globals div { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.name { color: #555; }
.changed { background: #fff4b8; }
.cause { outline: 2px solid #c00; background: #ffd9d9; }
tr.last th { border-left: 4px solid #c00; }
tr.loop th { border-left: 4px solid #06c; background: #eef5ff; }
body.changed-only .same { display: none; }
</style>
</head>
<body>
<h1>${escape(heading || title)}</h1>
${verdict}
<p><label><input type="checkbox" id="changed-only" onchange="document.body.classList.toggle('changed-only', this.checked)"> show only what each step changed</label> · ${states.length} states · ${n} node${n === 1 ? "" : "s"}</p>
<table>
<thead><tr><th>state · action</th>${Array.from({ length: n }, (_, i) => `<th>node ${i + 1}</th>`).join("")}${globals.length > 0 ? "<th>global</th>" : ""}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</body>
</html>
`
}
