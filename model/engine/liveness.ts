/**
 * Liveness: temporal properties (`P ~> Q`, `<>Q`) checked under weak and strong fairness of
 * action families, on the explicit reachable graph, with a lasso counterexample (a prefix and a
 * loop) for a property that fails.
 *
 * Semantics, as TLA+ and TLC give them:
 * - A behavior is infinite; it may stutter (repeat its state) at any point, so a behavior may stop
 *   forever in any state unless fairness forbids it. A step that leaves the state unchanged is a
 *   stutter, so it neither takes nor enables an action (TLA+'s `<<A>>_vars`).
 * - WF(A): if A is enabled in every state from some point on, A is taken infinitely often.
 *   SF(A): if A is enabled infinitely often, it is taken infinitely often.
 * - `P ~> Q` fails when a reachable state satisfies P and not Q and some fair behavior from it
 *   never reaches Q; `<>Q` when some fair behavior from an initial state never reaches Q.
 *
 * Algorithm: the graph of the states inside the state constraint (successors outside it are left
 * out, as the search leaves them unexplored; an action enabled only towards them counts as
 * disabled here). For a property, the states where Q fails are split into strongly connected
 * components; a component holds a fair behavior that stays in it for ever when each weakly fair
 * action is taken inside it or disabled in one of its states, and each strongly fair one is taken
 * inside it or disabled in all of them; a component that fails only a strong-fairness condition is
 * searched again without the states where that action is enabled (the classic Streett check). A
 * state that reaches such a component without meeting Q gives the counterexample: the shortest
 * path to the first such state where P holds, the path on to the component, then a loop through the
 * component that takes each fair action it needs (or visits a state where it is disabled).
 *
 * Trade-off: the graph is held whole in ordinary arrays and walked with the model's readable
 * successors, so this is for models of up to a few million states; past `limit` states it stops
 * and says so rather than check part of the graph.
 */
import { fingerprintWords, fpHi, fpLo } from "./fingerprint.js"
import { successorsOf, type TraceStep } from "./path.js"
import type { Model, TemporalProperty } from "./model.js"

export const LIVENESS_STATE_LIMIT = 2_000_000

export class LivenessGraphTooLarge extends Error {
  override readonly name = "LivenessGraphTooLarge"
}

/** One fairness condition on the graph: a family, for one node (its first argument) or for all. */
interface Condition {
  readonly family: number
  /** The node its first argument must be, or 0 for the family as one action. */
  readonly node: number
  readonly strong: boolean
  readonly label: string
}

/** The reachable graph: states by id (breadth-first order), out-edges with their action. */
interface Graph {
  readonly states: Uint8Array[]
  /** Out-edges of each state: target, family, first argument (0 if none), ordinal among the state's successors. */
  readonly out: Array<Array<{ readonly to: number; readonly family: number; readonly first: number; readonly ordinal: number }>>
  readonly parent: Int32Array
  readonly initial: readonly number[]
  readonly edges: number
}

function buildGraph(model: Model, limit: number): Graph {
  const width = model.widthBytes
  // Fingerprint -> id; a fingerprint's two words as one number key (53 bits kept: hi's low 21 bits
  // and lo), with the state bytes compared on a match, so a shared key never merges two states.
  const ids = new Map<number, number[]>()
  const states: Uint8Array[] = []
  const parents: number[] = []
  const out: Graph["out"] = []
  const idOf = (state: Uint8Array, parent: number): number => {
    const words = new Int32Array(state.buffer, state.byteOffset, width >> 2)
    fingerprintWords(words, 0, width >> 2)
    const key = (fpHi & 0x1fffff) * 2 ** 32 + (fpLo >>> 0)
    const bucket = ids.get(key)
    if (bucket !== undefined) for (const id of bucket) if (sameBytes(states[id]!, state)) return id
    if (states.length === limit) throw new LivenessGraphTooLarge(`the reachable graph has more than ${limit.toLocaleString("en-US")} states; liveness is checked on models up to that size (use smaller bounds)`)
    const id = states.length
    if (bucket === undefined) ids.set(key, [id])
    else bucket.push(id)
    states.push(state.slice())
    parents.push(parent)
    out.push([])
    return id
  }
  const initial: number[] = []
  for (const init of model.initialStates()) {
    const padded = new Uint8Array(width)
    padded.set(init)
    if (model.constraint(padded)) initial.push(idOf(padded, -1))
  }
  // The model's own expansion, as the search runs it: the successors in ordinal order.
  const src = new Uint8Array(width)
  const scratch = new Uint8Array(width)
  let from = 0
  let family = 0
  let ordinal = 0
  let edges = 0
  const sink = {
    next: () => (scratch.set(src), scratch),
    emit: (a?: number) => {
      const k = ordinal++
      if (!model.constraint(scratch)) return
      // A step that changes nothing is a stutter: no action is taken or enabled by it.
      if (sameBytes(scratch, src)) return
      const to = idOf(scratch, from)
      const node = model.families[family]!.paramKinds?.[0] === "node" ? (a ?? 0) : 0
      out[from]!.push({ to, family, first: node, ordinal: k })
      edges++
    }
  }
  for (from = 0; from < states.length; from++) {
    src.set(states[from]!)
    ordinal = 0
    for (family = 0; family < model.families.length; family++) model.families[family]!.expand(src, sink)
  }
  return { states, out, parent: Int32Array.from(parents), initial, edges }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false
  return true
}

function conditionsOf(model: Model): Condition[] {
  const f = model.fairness
  if (f === undefined) return []
  const expand = (refs: Model["fairness"] extends infer F ? (F extends { weak: infer W } ? W : never) : never, strong: boolean): Condition[] =>
    refs.flatMap(({ family, perNode }) => {
      const name = model.families[family]!.name
      if (!perNode) return [{ family, node: 0, strong, label: `${strong ? "SF" : "WF"}(${name})` }]
      return Array.from({ length: model.nodeCount ?? 0 }, (_, k) => ({ family, node: k + 1, strong, label: `${strong ? "SF" : "WF"}(${name}(${k + 1}))` }))
    })
  return [...expand(f.weak, false), ...expand(f.strong, true)]
}

const matches = (e: { family: number; first: number }, c: Condition) => e.family === c.family && (c.node === 0 || e.first === c.node)

/**
 * Scratch arrays of one graph's size, reused by every component search: Tarjan's index and low
 * link (valid where `visit` holds the current search's stamp), and a stamp per state marking the
 * component being examined, so that no search allocates per component.
 */
class Scratch {
  readonly index: Int32Array
  readonly low: Int32Array
  readonly visit: Int32Array
  readonly onStack: Uint8Array
  readonly mark: Int32Array
  /** The states a component search may enter: those whose region is the search's token. */
  readonly region: Int32Array
  stamp = 0
  constructor(n: number) {
    this.region = new Int32Array(n)
    this.index = new Int32Array(n)
    this.low = new Int32Array(n)
    this.visit = new Int32Array(n)
    this.onStack = new Uint8Array(n)
    this.mark = new Int32Array(n)
  }
}

/** Strongly connected components of the subgraph induced by `members` (iterative Tarjan). */
function components(graph: Graph, members: readonly number[], t: Scratch): number[][] {
  const inside = ++t.stamp
  for (const v of members) t.region[v] = inside
  const search = ++t.stamp
  const { index, low, visit, onStack } = t
  const stack: number[] = []
  const result: number[][] = []
  let counter = 0
  const open = (v: number) => {
    visit[v] = search
    index[v] = counter
    low[v] = counter++
    stack.push(v)
    onStack[v] = 1
  }
  for (const root of members) {
    if (visit[root] === search) continue
    const work: Array<{ v: number; edge: number }> = [{ v: root, edge: 0 }]
    open(root)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      const edges = graph.out[frame.v]!
      if (frame.edge < edges.length) {
        const w = edges[frame.edge++]!.to
        if (t.region[w] !== inside) continue
        if (visit[w] !== search) {
          open(w)
          work.push({ v: w, edge: 0 })
        } else if (onStack[w]) low[frame.v] = Math.min(low[frame.v]!, index[w]!)
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1]!.v
        low[parent] = Math.min(low[parent]!, low[frame.v]!)
      }
      if (low[frame.v] === index[frame.v]) {
        const component: number[] = []
        let w: number
        do {
          w = stack.pop()!
          onStack[w] = 0
          component.push(w)
        } while (w !== frame.v)
        result.push(component)
      }
    }
  }
  return result
}

/** How a fair component meets a condition: an edge of the action inside it, or a state where it is disabled. */
type Witness = { readonly condition: Condition } & ({ readonly edge: readonly [number, number] } | { readonly state: number })

/** Components of the subgraph of `members` that hold a fair behavior staying in them for ever, with their witnesses. */
function fairComponents(graph: Graph, members: readonly number[], conditions: readonly Condition[], t: Scratch): Array<{ states: number[]; witnesses: Witness[] }> {
  const fair: Array<{ states: number[]; witnesses: Witness[] }> = []
  const enabled = (v: number, c: Condition) => graph.out[v]!.some((e) => matches(e, c))
  for (const component of components(graph, members, t)) {
    const here = ++t.stamp
    for (const v of component) t.mark[v] = here
    const taken = (c: Condition): Witness | null => {
      for (const v of component) for (const e of graph.out[v]!) if (t.mark[e.to] === here && matches(e, c)) return { condition: c, edge: [v, e.to] }
      return null
    }
    const witnesses: Witness[] = []
    let failedStrong: Condition | null = null
    let ok = true
    for (const c of conditions) {
      const edge = taken(c)
      if (edge) {
        witnesses.push(edge)
        continue
      }
      if (!c.strong) {
        const off = component.find((v) => !enabled(v, c))
        if (off === undefined) {
          // Enabled throughout and never taken here, nor in any part of it: no fair behavior stays.
          ok = false
          failedStrong = null
          break
        }
        witnesses.push({ condition: c, state: off })
      } else if (component.some((v) => enabled(v, c))) {
        failedStrong ??= c
        ok = false
      } else witnesses.push({ condition: c, state: component[0]! })
    }
    if (ok) fair.push({ states: component, witnesses })
    else if (failedStrong !== null) {
      // A strongly fair action enabled somewhere here, never taken: a fair behavior may stay only
      // where it is disabled.
      const rest = component.filter((v) => !enabled(v, failedStrong!))
      if (rest.length > 0) fair.push(...fairComponents(graph, rest, conditions, t))
    }
  }
  return fair
}

/** Shortest path (state ids, from `from` included) within `inside` to a state `isTarget` accepts, or null. */
function pathWithin(graph: Graph, from: number, inside: Uint8Array, isTarget: (v: number) => boolean): number[] | null {
  const previous = new Map<number, number>([[from, -1]])
  const queue = [from]
  for (let k = 0; k < queue.length; k++) {
    const v = queue[k]!
    if (isTarget(v)) {
      const path: number[] = []
      for (let w = v; w !== -1; w = previous.get(w)!) path.unshift(w)
      return path
    }
    for (const e of graph.out[v]!) {
      if (!inside[e.to] || previous.has(e.to)) continue
      previous.set(e.to, v)
      queue.push(e.to)
    }
  }
  return null
}

export interface Lasso {
  /** The states from an initial one; the behavior repeats states[loop ..] for ever (a loop of one state is stuttering). */
  readonly steps: readonly TraceStep[]
  readonly loop: number
  /** The action that closes the loop (from the last state back to states[loop]), or null when it stutters. */
  readonly back: TraceStep["action"] | null
  /** The node the failing instance of a per-node property is about, else null. */
  readonly node: number | null
  /** The fairness conditions the loop meets, by how (for the text). */
  readonly fairness: readonly string[]
}

export interface PropertyResult {
  readonly name: string
  readonly description: string
  readonly holds: boolean
  readonly lasso: Lasso | null
}

export interface LivenessResult {
  readonly states: number
  readonly edges: number
  readonly seconds: number
  readonly fairness: readonly string[]
  readonly properties: readonly PropertyResult[]
}

/** Checks the model's temporal properties (or those named) under its fairness. */
export function checkLiveness(model: Model, options: { readonly properties?: readonly string[]; readonly limit?: number } = {}): LivenessResult {
  const started = performance.now()
  const declared = model.temporalProperties ?? []
  for (const name of options.properties ?? []) {
    if (!declared.some((p) => p.name === name)) throw new RangeError(`unknown temporal property ${name} (${model.protocol} declares: ${declared.map((p) => p.name).join(", ") || "none"})`)
  }
  const chosen = declared.filter((p) => options.properties === undefined || options.properties.includes(p.name))
  const graph = buildGraph(model, options.limit ?? LIVENESS_STATE_LIMIT)
  const conditions = conditionsOf(model)
  const scratch = new Scratch(graph.states.length)
  const properties = chosen.map((property) => {
    for (let k = 1; k <= property.instances; k++) {
      const lasso = violation(model, graph, conditions, property, k, scratch)
      if (lasso) return { name: property.name, description: property.description, holds: false, lasso: { ...lasso, node: property.instances > 1 ? k : null } }
    }
    return { name: property.name, description: property.description, holds: true, lasso: null }
  })
  return { states: graph.states.length, edges: graph.edges, seconds: (performance.now() - started) / 1000, fairness: conditions.map((c) => c.label), properties }
}

function violation(model: Model, graph: Graph, conditions: readonly Condition[], property: TemporalProperty, k: number, scratch: Scratch): Omit<Lasso, "node"> | null {
  const n = graph.states.length
  const notQ = new Uint8Array(n)
  const members: number[] = []
  for (let v = 0; v < n; v++) {
    if (!property.q(graph.states[v]!, k)) {
      notQ[v] = 1
      members.push(v)
    }
  }
  const fair = fairComponents(graph, members, conditions, scratch)
  if (fair.length === 0) return null
  // The states (outside Q) that reach a fair component without meeting Q: backwards from them.
  const component = new Int32Array(n).fill(-1)
  fair.forEach((c, index) => c.states.forEach((v) => (component[v] = index)))
  const reverse: number[][] = Array.from({ length: n }, () => [])
  for (let v = 0; v < n; v++) if (notQ[v]) for (const e of graph.out[v]!) if (notQ[e.to]) reverse[e.to]!.push(v)
  const reaches = new Uint8Array(n)
  const queue = fair.flatMap((c) => c.states)
  for (const v of queue) reaches[v] = 1
  for (let q = 0; q < queue.length; q++) for (const u of reverse[queue[q]!]!) if (!reaches[u]) ((reaches[u] = 1), queue.push(u))
  // The first such state (breadth-first order: the shortest prefix) where P holds.
  const starts = property.kind === "eventually" ? new Set(graph.initial) : null
  let s0 = -1
  for (let v = 0; v < n && s0 < 0; v++) if (reaches[v] && (starts ? starts.has(v) : property.p(graph.states[v]!, k))) s0 = v
  if (s0 < 0) return null
  const prefix: number[] = []
  for (let v = s0; v !== -1; v = graph.parent[v]!) prefix.unshift(v)
  const toComponent = pathWithin(graph, s0, notQ, (v) => component[v]! >= 0)!
  const entry = toComponent[toComponent.length - 1]!
  const target = fair[component[entry]!]!
  const inTarget = new Uint8Array(n)
  for (const v of target.states) inTarget[v] = 1
  // The loop: from the entry through each witness, and back.
  const loop = [entry]
  let at = entry
  const walkTo = (goal: number) => {
    const path = pathWithin(graph, at, inTarget, (v) => v === goal)!
    loop.push(...path.slice(1))
    at = goal
  }
  const enabledAt = (v: number, c: Condition) => graph.out[v]!.some((e) => matches(e, c))
  // A condition the loop so far already meets (it took the action, or passed a state where it is
  // disabled) needs no detour: the loop stays short.
  const met = (c: Condition, edge: boolean) =>
    edge ? loop.some((v, k) => k > 0 && graph.out[loop[k - 1]!]!.some((e) => e.to === v && matches(e, c))) : loop.some((v) => !enabledAt(v, c))
  for (const w of target.witnesses) {
    if (met(w.condition, "edge" in w)) continue
    if ("edge" in w) {
      walkTo(w.edge[0])
      loop.push(w.edge[1])
      at = w.edge[1]
    } else walkTo(w.state)
  }
  walkTo(entry)
  if (loop.length > 1) loop.pop()
  const ids = [...prefix, ...toComponent.slice(1), ...loop.slice(1)]
  const loopStart = prefix.length + toComponent.length - 2
  // Each step's action instance, replayed from its source state (the first edge to the target).
  const actionOf = (from: number, to: number) => {
    const edge = graph.out[from]!.find((e) => e.to === to)!
    return successorsOf(model, graph.states[from]!)[edge.ordinal]!.action!
  }
  const steps: TraceStep[] = ids.map((v, index) => (index === 0 ? { state: graph.states[v]! } : { state: graph.states[v]!, action: actionOf(ids[index - 1]!, v) }))
  const closes = loop.length > 1
  return {
    steps,
    loop: loopStart,
    back: closes ? actionOf(ids[ids.length - 1]!, entry) : null,
    fairness: conditions.map((c) => c.label)
  }
}
