/**
 * The reachable graph of a small model as Graphviz DOT (`check --dot FILE`): a node per distinct
 * state, as the search counts them (inside the state constraint, one per orbit under symmetry),
 * an edge per generated successor inside the constraint, labelled with its action instance.
 * Initial states are drawn bold, states that violate a checked state invariant red, and edges
 * that violate a step invariant red.
 *
 * Trade-off: a plain breadth-first walk over readable successors (path.ts), thousands of times
 * slower than the search, and a graph past a few thousand states cannot be read anyway: it refuses
 * more than `limit` states rather than write a partial graph.
 */
import { Schema } from "effect"
import { fingerprintHex } from "../engine/fingerprint.js"
import { fingerprintOf, successorsOf } from "../engine/path.js"
import type { KitModel } from "../kit/index.js"
import { renderAction } from "./counterexample.js"
import { renderValue, type ItfValue } from "./itf.js"
import { stateSchema } from "./state-schema.js"

/** The most states `--dot` draws. */
export const DOT_STATE_LIMIT = 5000

export class GraphTooLarge extends Error {
  override readonly name = "GraphTooLarge"
}

export interface DotOptions {
  readonly symmetry: boolean
  readonly stateInvariants: readonly string[]
  readonly stepInvariants: readonly string[]
  readonly limit?: number
}

const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`

/** The graph as DOT text, with its node and edge counts. */
export function reachableGraph(model: KitModel, options: DotOptions): { readonly dot: string; readonly states: number; readonly edges: number } {
  const limit = options.limit ?? DOT_STATE_LIMIT
  const encode = Schema.encodeSync(stateSchema(model))
  const stateChecks = model.stateInvariants.filter((i) => options.stateInvariants.includes(i.name))
  const stepChecks = model.stepInvariants.filter((i) => options.stepInvariants.includes(i.name))
  const ids = new Map<string, number>()
  const nodes: string[] = []
  const edges: string[] = []
  const queue: Uint8Array[] = []
  const idOf = (state: Uint8Array): [number, boolean] => {
    const [hi, lo] = fingerprintOf(model, state, options.symmetry)
    const key = fingerprintHex(hi, lo)
    const known = ids.get(key)
    if (known !== undefined) return [known, false]
    if (ids.size === limit) throw new GraphTooLarge(`the reachable graph has more than ${limit} states; --dot draws small models only (use smaller bounds)`)
    const id = ids.size
    ids.set(key, id)
    const readable = encode(model.codec.decode(state)) as Record<string, ItfValue>
    const label = Object.entries(readable).map(([k, v]) => `${k} = ${renderValue(v)}`).join("\n")
    const bad = stateChecks.filter((i) => !i.holds(state)).map((i) => i.name)
    const style = [bad.length > 0 ? 'color=red, fontcolor=red, xlabel=' + quote(bad.join(", ")) : ""].filter(Boolean)
    nodes.push(`  s${id} [label=${quote(label)}${style.length > 0 ? ", " + style.join(", ") : ""}];`)
    queue.push(state.slice())
    return [id, true]
  }
  const initial = new Set<number>()
  for (const init of model.initialStates()) {
    const padded = new Uint8Array(model.widthBytes)
    padded.set(init)
    if (!model.constraint(padded)) continue
    initial.add(idOf(padded)[0])
  }
  for (let k = 0; k < queue.length; k++) {
    const from = queue[k]!
    const [source] = idOf(from)
    for (const step of successorsOf(model, from)) {
      if (!model.constraint(step.state)) continue
      const [target] = idOf(step.state)
      const broken = stepChecks.filter((i) => !i.holds(from, step.state)).map((i) => i.name)
      const label = renderAction(step.action!) + (broken.length > 0 ? `\n(violates ${broken.join(", ")})` : "")
      edges.push(`  s${source} -> s${target} [label=${quote(label)}${broken.length > 0 ? ", color=red, fontcolor=red" : ""}];`)
    }
  }
  const bold = [...initial].map((id) => `  s${id} [penwidth=3];`)
  const dot = [`digraph ${quote(model.protocol)} {`, "  node [shape=box, fontname=monospace, fontsize=10];", "  edge [fontname=monospace, fontsize=9];", ...nodes, ...bold, ...edges, "}", ""].join("\n")
  return { dot, states: ids.size, edges: edges.length }
}
