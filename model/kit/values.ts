/**
 * The kit's second backend: the same views as views.ts, over plain JS values instead of packed
 * bytes, so with no ceiling on integers (up to 2^53), sequence lengths or set sizes. Validation of
 * an implementation's trace runs on it: a real run's terms and logs pass any bound a search could
 * explore, and the check bounds are for `check`, not for `validate`. The actions, invariants and
 * trace mapping are the protocol's own, unchanged: only the storage differs, and a test keeps the
 * two backends' successors, invariant verdicts and explanations equal.
 *
 * A state is an array of cells: one per node variable and node (variable by variable, node 1
 * first), then one per global. A cell holds a scalar's view value (an enum as its code), or a
 * compound: a record as an object, a sequence or array as a JS array, a set as a Map from an
 * element's key to the element. A state, once built, is never changed: a successor starts as a
 * copy of the cell array, sharing every compound, and copies a compound cell the first time its
 * action writes to it (elements of sequences and sets are never changed in place, only replaced).
 * So a step over logs of a million entries copies only the logs it writes.
 *
 * What differs from the packed backend, by design: no value wraps or is refused for passing a
 * bound (a push never finds a sequence full), and `some`/`forEach` visit a set's elements in
 * insertion order, not rank order (the kit's contract leaves that order open).
 */
import { nodeIndex, STORAGE, variableNamed, type Storage } from "./unchanged.js"
import { isScalar, type ArrayType, type Fields, type RecordType, type ScalarType, type SetType, type Type } from "./types.js"

/** A state of the value backend: its cells (see above). Never changed once built. */
export type ValueState = unknown[]

/** The states the views read: `src` (being expanded) and `next` (being built, or being checked). */
export interface ValueHolder {
  src: ValueState
  next: ValueState
  /** Which cells of `next` this step has copied already (1) and may change in place. */
  owned: Uint8Array
  /** While an invariant is evaluated for `readSet`: the cells it read, in order (repeats allowed). */
  reads: number[] | null
}

/** One variable's place in the cell array. */
export interface ValueField {
  readonly name: string
  readonly scope: "node" | "global"
  readonly ghost: boolean
  readonly type: Type
  /** Its first cell (node 1's, for a node variable). */
  readonly cell: number
}

function ghostRead(): never {
  throw new TypeError("that is a ghost variable: actions may write ghost variables but not read them (invariants read them)")
}
function empty(): never {
  throw new RangeError("pop from an empty sequence")
}

/** The value a zeroed packed state reads as: 0, min, false, the first name, node 1 (or none). */
export function zeroValue(t: Type): unknown {
  switch (t.kind) {
    case "uint":
    case "enum":
      return 0
    case "range":
      return t.min
    case "bool":
      return false
    case "node":
      return t.optional ? 0 : 1
    case "record":
      return Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, zeroValue(f)]))
    case "seq":
      return []
    case "array":
      return Array.from({ length: t.length }, () => zeroValue(t.elem))
    case "set":
      return new Map()
  }
}

/** A copy of a compound that this step may change in place (its elements are shared: they are never changed). */
export function copyValue(t: Type, v: unknown): unknown {
  switch (t.kind) {
    case "record": {
      const out: Record<string, unknown> = { ...(v as Record<string, unknown>) }
      for (const [k, f] of Object.entries(t.fields)) if (!isScalar(f)) out[k] = copyValue(f, out[k])
      return out
    }
    case "seq":
    case "array":
      return (v as unknown[]).slice()
    case "set":
      return new Map(v as Map<unknown, unknown>)
    default:
      return v
  }
}

/** The key of a set element: a scalar is its own key, a record of scalars its fields joined. */
function keyOf(elem: Type): (v: unknown) => unknown {
  if (isScalar(elem)) return (v) => v
  const names = Object.keys((elem as RecordType).fields)
  if (names.length === 2) {
    const [a, b] = names as [string, string]
    return (v) => `${(v as Record<string, unknown>)[a]},${(v as Record<string, unknown>)[b]}`
  }
  return (v) => names.map((n) => String((v as Record<string, unknown>)[n])).join(",")
}

/** Is `v` a view value of the scalar type (no upper bound on integers; node ids 1..nodes)? */
function isScalarValue(t: ScalarType, v: unknown, nodes: number): boolean {
  switch (t.kind) {
    case "uint":
      return Number.isSafeInteger(v) && (v as number) >= 0
    case "range":
      return Number.isSafeInteger(v) && (v as number) >= t.min
    case "bool":
      return typeof v === "boolean"
    case "enum":
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) < t.names.length
    case "node":
      return Number.isInteger(v) && (v as number) >= (t.optional ? 0 : 1) && (v as number) <= nodes
  }
}

/** A set element as stored: a scalar as is, a record as a fresh object with the type's fields in order. */
function elementOf(elem: Type, nodes: number): (v: unknown) => unknown {
  const bad = (v: unknown): never => {
    throw new RangeError(`add: ${JSON.stringify(v) ?? String(v)} is not a value of its type`)
  }
  if (isScalar(elem)) return (v) => (isScalarValue(elem, v, nodes) ? v : bad(v))
  const fields = Object.entries((elem as RecordType).fields) as Array<[string, ScalarType]>
  return (v) => {
    if (v === null || typeof v !== "object") return bad(v)
    const out: Record<string, unknown> = {}
    for (const [k, f] of fields) {
      const x = (v as Record<string, unknown>)[k]
      if (!isScalarValue(f, x, nodes)) bad(v)
      out[k] = x
    }
    return out
  }
}

// Readable values (what `decode` gives and traces carry): enums by name, sets as arrays in rank order.

const scalarRank = (v: unknown): number => (typeof v === "boolean" ? (v ? 1 : 0) : (v as number))

/** Orders set elements as the packed backend's ranks do: by code, a record's first field first. */
function compareElements(elem: Type): (a: unknown, b: unknown) => number {
  if (isScalar(elem)) return (a, b) => scalarRank(a) - scalarRank(b)
  const names = Object.keys((elem as RecordType).fields)
  return (a, b) => {
    for (const n of names) {
      const d = scalarRank((a as Record<string, unknown>)[n]) - scalarRank((b as Record<string, unknown>)[n])
      if (d !== 0) return d
    }
    return 0
  }
}

/** The readable form of a view value of `t`. */
export function readableValue(t: Type, v: unknown): unknown {
  switch (t.kind) {
    case "enum":
      return t.names[v as number]
    case "record":
      return Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, readableValue(f, (v as Record<string, unknown>)[k])]))
    case "seq":
    case "array":
      return (v as unknown[]).map((x) => readableValue(t.elem, x))
    case "set":
      return [...(v as Map<unknown, unknown>).values()].sort(compareElements(t.elem)).map((x) => readableValue(t.elem, x))
    default:
      return v
  }
}

/**
 * Why a readable value (an implementation's observation) is not a value of `t`, or null when it
 * is: integers up to 2^53 and sequences of any length are values; node ids are 1..nodes.
 */
export function readableProblem(t: Type, v: unknown, nodes: number, path: string): string | null {
  const show = (x: unknown) => JSON.stringify(x) ?? String(x)
  switch (t.kind) {
    case "uint":
      return Number.isSafeInteger(v) && (v as number) >= 0 ? null : `${path}: ${show(v)} is not an integer 0..2^53-1`
    case "range":
      return Number.isSafeInteger(v) && (v as number) >= t.min ? null : `${path}: ${show(v)} is not an integer ${t.min}..2^53-1`
    case "bool":
      return typeof v === "boolean" ? null : `${path}: ${show(v)} is not a boolean`
    case "enum":
      return typeof v === "string" && t.names.includes(v) ? null : `${path}: ${show(v)} is not one of ${t.names.map((n) => JSON.stringify(n)).join(", ")}`
    case "node":
      return Number.isInteger(v) && (v as number) >= (t.optional ? 0 : 1) && (v as number) <= nodes
        ? null
        : `${path}: ${show(v)} is not a node id 1..${nodes}${t.optional ? " or 0 for none" : ""}`
    case "record": {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return `${path}: expected a record, got ${show(v)}`
      for (const k of Object.keys(v)) if (!Object.hasOwn(t.fields, k)) return `${path}.${k}: not a field (fields: ${Object.keys(t.fields).join(", ")})`
      for (const [k, f] of Object.entries(t.fields)) {
        if (!Object.hasOwn(v, k)) return `${path}.${k}: missing`
        const p = readableProblem(f, (v as Record<string, unknown>)[k], nodes, `${path}.${k}`)
        if (p !== null) return p
      }
      return null
    }
    case "seq":
    case "array":
    case "set": {
      if (!Array.isArray(v)) return `${path}: expected ${t.kind === "set" ? "a set (an array of its elements)" : "an array"}, got ${show(v)}`
      if (t.kind === "array" && v.length !== t.length) return `${path}: expected ${t.length} elements, got ${v.length}`
      for (let k = 0; k < v.length; k++) {
        const p = readableProblem(t.elem, v[k], nodes, `${path}[${k + 1}]`)
        if (p !== null) return p
      }
      return null
    }
  }
}

/** The view value of a readable value of `t` (enum names to codes, sets to Maps); the value must be one (see readableProblem). */
export function fromReadable(t: Type, v: unknown): unknown {
  switch (t.kind) {
    case "enum":
      return t.names.indexOf(v as string)
    case "record":
      return Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, fromReadable(f, (v as Record<string, unknown>)[k])]))
    case "seq":
    case "array":
      return (v as unknown[]).map((x) => fromReadable(t.elem, x))
    case "set": {
      const key = keyOf(t.elem)
      return new Map((v as unknown[]).map((x) => fromReadable(t.elem, x)).map((x) => [key(x), x]))
    }
    default:
      return v
  }
}

// The views. Built with closures over the holder: validation is not the search's hot path, and a
// closure per member keeps this readable; a step still costs well under a microsecond.

type Side = "src" | "next"

/** Reads node i's cell of a variable (or the global's), noting it while an invariant's reads are recorded. */
function cellReader(h: ValueHolder, side: Side, cell0: number, perNode: boolean): (i: number) => unknown {
  const base = perNode ? cell0 - 1 : cell0
  if (side === "src") {
    return perNode
      ? (i) => (h.reads !== null && h.reads.push(base + i), h.src[base + i])
      : () => (h.reads !== null && h.reads.push(base), h.src[base])
  }
  return perNode
    ? (i) => (h.reads !== null && h.reads.push(base + i), h.next[base + i])
    : () => (h.reads !== null && h.reads.push(base), h.next[base])
}

/**
 * A state predicate that remembers the cells it read the last time it held, and their values:
 * on a state where each of them is the same (the same reference: cells are never changed in
 * place), it holds again without running, since it read nothing else. A validated run's steps
 * change a few cells each, so an invariant over history (events, removed entries) that a step
 * did not touch costs a few comparisons instead of a walk.
 */
export function memoizedHolds(h: ValueHolder, holds: (s: ValueState) => boolean): (s: ValueState) => boolean {
  let cells: number[] = []
  let seen: unknown[] | null = null
  return (s) => {
    if (seen !== null) {
      let same = true
      for (let k = 0; k < cells.length; k++) {
        if (s[cells[k]!] !== seen[k]) {
          same = false
          break
        }
      }
      if (same) return true
    }
    const outer = h.reads
    h.reads = []
    let result: boolean
    try {
      result = holds(s)
    } finally {
      const read = h.reads
      h.reads = outer
      if (outer !== null) outer.push(...read)
      cells = [...new Set(read)]
    }
    seen = result ? cells.map((c) => s[c]) : null
    return result
  }
}

/** How an accessor reaches its compound: `get(i)` reads it, `mut(i)` gets it ready to change (in `next`). */
interface Reach {
  readonly get: (i: number) => unknown
  readonly mut: (i: number) => unknown
}

/** The cell of node i (or the global), read from `side`, or owned in `next`, then the record fields of `path`. */
function reach(h: ValueHolder, side: Side, cell0: number, perNode: boolean, cellType: Type, path: readonly string[]): Reach {
  const at = perNode ? (i: number) => cell0 + i - 1 : () => cell0
  const down = (x: unknown) => {
    for (const p of path) x = (x as Record<string, unknown>)[p]
    return x
  }
  const cell = cellReader(h, side, cell0, perNode)
  const get = path.length === 0 ? cell : (i: number) => down(cell(i))
  const mut = (i: number) => {
    const c = at(i)
    if (h.owned[c] === 0) {
      h.next[c] = copyValue(cellType, h.next[c])
      h.owned[c] = 1
    }
    return path.length === 0 ? h.next[c] : down(h.next[c])
  }
  return { get, mut }
}

interface Build {
  readonly h: ValueHolder
  readonly side: Side
  readonly write: boolean
  /** Reads of this variable throw (a ghost, in a view that may not read ghosts). */
  readonly guarded: boolean
  readonly nodes: number
}

const setterName = (name: string) => `set${name[0]!.toUpperCase()}${name.slice(1)}`

/**
 * Defines a scalar member as the packed views have it: of a node variable, a method `name(i)` and
 * a setter `setName(i, v)`; of a global, a property (`read` and `write` then get 0 for the node).
 */
function member(target: object, name: string, perNode: boolean, read: (i: number) => unknown, write: ((i: number, v: unknown) => void) | null): void {
  if (perNode) {
    Object.defineProperty(target, name, { value: read, enumerable: true })
    if (write) Object.defineProperty(target, setterName(name), { value: write, enumerable: true })
  } else {
    Object.defineProperty(target, name, { get: () => read(0), ...(write ? { set: (v: unknown) => write(0, v) } : {}), enumerable: true })
  }
}

/** The accessor of a compound (record, sequence, array or set) reached by `r`. */
function accessor(t: Type, perNode: boolean, b: Build, r: Reach, cellType: Type, cell0: number, path: readonly string[]): object {
  const guard = b.guarded ? ghostRead : null
  const o: Record<string, unknown> = {}
  // A node variable's methods take the node first; a global's the same arguments less the node.
  const idx = <F extends (...a: any[]) => unknown>(perNodeFn: F, globalFn: (...a: any[]) => unknown): F => (perNode ? perNodeFn : (globalFn as F))
  if (t.kind === "record") {
    for (const [name, f] of Object.entries(t.fields)) {
      if (isScalar(f)) {
        const read = (i: number) => {
          guard?.()
          return (r.get(i) as Record<string, unknown>)[name]
        }
        const write = b.write
          ? (i: number, v: unknown) => {
              ;(r.mut(i) as Record<string, unknown>)[name] = v
            }
          : null
        member(o, name, perNode, read, write)
      } else {
        const sub = accessor(f, perNode, b, reach(b.h, b.side, cell0, perNode, cellType, [...path, name]), cellType, cell0, [...path, name])
        Object.defineProperty(o, name, { value: sub, enumerable: true })
      }
    }
    return o
  }
  if (t.kind === "seq" || t.kind === "array") {
    const seq = t.kind === "seq"
    const elem = t.elem
    const arr = (i: number) => {
      guard?.()
      return r.get(i) as unknown[]
    }
    if (seq) member(o, "length", perNode, (i) => arr(i).length, null)
    else member(o, "length", perNode, () => (t as ArrayType).length, null)
    o["values"] = idx((i: number) => readableValue(t, arr(i)), () => readableValue(t, arr(0)))
    // A position past the end reads as a zeroed slot does in the packed backend.
    const zero = zeroValue(elem)
    if (isScalar(elem)) {
      o["at"] = idx((i: number, k: number) => (k <= arr(i).length ? arr(i)[k - 1] : zero), (k: number) => (k <= arr(0).length ? arr(0)[k - 1] : zero))
      if (b.write) {
        o["set"] = idx(
          (i: number, k: number, v: unknown) => {
            ;(r.mut(i) as unknown[])[k - 1] = v
          },
          (k: number, v: unknown) => {
            ;(r.mut(0) as unknown[])[k - 1] = v
          }
        )
      }
    } else if (elem.kind === "array") {
      const innerZero = zeroValue(elem.elem)
      const at2 = (xs: unknown[], k: number, k2: number) => (k <= xs.length ? ((xs[k - 1] as unknown[])[k2 - 1] ?? innerZero) : innerZero)
      o["at"] = idx((i: number, k: number, k2: number) => at2(arr(i), k, k2), (k: number, k2: number) => at2(arr(0), k, k2))
      if (b.write) {
        const set2 = (xs: unknown[], k: number, k2: number, v: unknown) => {
          const row = (xs[k - 1] as unknown[]).slice()
          row[k2 - 1] = v
          xs[k - 1] = row
        }
        o["set"] = idx((i: number, k: number, k2: number, v: unknown) => set2(r.mut(i) as unknown[], k, k2, v), (k: number, k2: number, v: unknown) => set2(r.mut(0) as unknown[], k, k2, v))
      }
    } else {
      for (const name of Object.keys((elem as RecordType<Fields>).fields)) {
        const fieldZero = (zero as Record<string, unknown>)[name]
        const get = (xs: unknown[], k: number) => (k <= xs.length ? (xs[k - 1] as Record<string, unknown>)[name] : fieldZero)
        o[name] = idx((i: number, k: number) => get(arr(i), k), (k: number) => get(arr(0), k))
        if (b.write) {
          const put = (xs: unknown[], k: number, v: unknown) => {
            xs[k - 1] = { ...(xs[k - 1] as object), [name]: v }
          }
          o[setterName(name)] = idx((i: number, k: number, v: unknown) => put(r.mut(i) as unknown[], k, v), (k: number, v: unknown) => put(r.mut(0) as unknown[], k, v))
        }
      }
    }
    if (b.write && seq) {
      const fresh = isScalar(elem) ? (v: unknown) => v : (v: unknown) => ({ ...(v as object) })
      const push = (xs: unknown[], v: unknown) => void xs.push(fresh(v))
      const pop = (xs: unknown[]) => {
        if (xs.length === 0) empty()
        xs.pop()
      }
      const truncate = (xs: unknown[], n: number) => {
        if (xs.length > n) xs.length = Math.max(0, n)
      }
      o["push"] = idx((i: number, v: unknown) => push(r.mut(i) as unknown[], v), (v: unknown) => push(r.mut(0) as unknown[], v))
      o["pop"] = idx((i: number) => pop(r.mut(i) as unknown[]), () => pop(r.mut(0) as unknown[]))
      o["truncate"] = idx((i: number, n: number) => truncate(r.mut(i) as unknown[], n), (n: number) => truncate(r.mut(0) as unknown[], n))
      o["clear"] = idx((i: number) => truncate(r.mut(i) as unknown[], 0), () => truncate(r.mut(0) as unknown[], 0))
    }
    return o
  }
  if (t.kind === "set") {
    const elem = (t as SetType).elem
    const key = keyOf(elem)
    const stored = elementOf(elem, b.nodes)
    const map = (i: number) => {
      guard?.()
      return r.get(i) as Map<unknown, unknown>
    }
    o["has"] = idx((i: number, v: unknown) => map(i).has(key(v)), (v: unknown) => map(0).has(key(v)))
    member(o, "size", perNode, (i) => map(i).size, null)
    o["values"] = idx((i: number) => readableValue(t, map(i)), () => readableValue(t, map(0)))
    const some = (m: Map<unknown, unknown>, pred: (e: unknown) => boolean) => {
      for (const e of m.values()) if (pred(e)) return true
      return false
    }
    const each = (m: Map<unknown, unknown>, fn: (e: unknown) => void) => {
      for (const e of m.values()) fn(e)
    }
    const fieldNames = isScalar(elem) ? null : Object.keys((elem as RecordType).fields)
    const collect = (m: Map<unknown, unknown>, into: number[]) => {
      let n = 0
      if (fieldNames === null) for (const e of m.values()) into[n++] = scalarRank(e)
      else for (const e of m.values()) for (const name of fieldNames) into[n++] = scalarRank((e as Record<string, unknown>)[name])
      return m.size
    }
    o["collect"] = idx((i: number, into: number[]) => collect(map(i), into), (into: number[]) => collect(map(0), into))
    o["some"] = idx((i: number, pred: (e: unknown) => boolean) => some(map(i), pred), (pred: (e: unknown) => boolean) => some(map(0), pred))
    o["forEach"] = idx((i: number, fn: (e: unknown) => void) => each(map(i), fn), (fn: (e: unknown) => void) => each(map(0), fn))
    if (b.write) {
      const add = (m: Map<unknown, unknown>, v: unknown) => {
        const e = stored(v)
        m.set(key(e), e)
      }
      o["add"] = idx((i: number, v: unknown) => add(r.mut(i) as Map<unknown, unknown>, v), (v: unknown) => add(r.mut(0) as Map<unknown, unknown>, v))
      o["delete"] = idx((i: number, v: unknown) => void (r.mut(i) as Map<unknown, unknown>).delete(key(v)), (v: unknown) => void (r.mut(0) as Map<unknown, unknown>).delete(key(v)))
      o["clear"] = idx((i: number) => (r.mut(i) as Map<unknown, unknown>).clear(), () => (r.mut(0) as Map<unknown, unknown>).clear())
    }
    if (elem.kind === "node") {
      const maskOf = (m: Map<unknown, unknown>) => {
        let bits = 0
        for (const id of m.keys()) bits |= 1 << ((id as number) - 1)
        return bits >>> 0
      }
      const setMaskOf = (m: Map<unknown, unknown>, bits: number) => {
        m.clear()
        for (let id = 1; id <= b.nodes; id++) if (bits & (1 << (id - 1))) m.set(id, id)
      }
      member(o, "mask", perNode, (i) => maskOf(map(i)), b.write ? (i, v) => setMaskOf(r.mut(i) as Map<unknown, unknown>, v as number) : null)
    }
    return o
  }
  throw new TypeError(`no accessor for a ${t.kind}`)
}

/** The root view of a flavour: every variable (ghosts too, reads guarded where they may not be read), `nodeCount`, `ghost`. */
export function valueRoot(fields: readonly ValueField[], h: ValueHolder, nodes: number, side: Side, write: boolean, ghostReads: boolean): object {
  const root: Record<string, unknown> = {}
  Object.defineProperty(root, "nodeCount", { value: nodes })
  const byName = new Map(fields.map((f) => [f.name, f]))
  const storage: Storage & { readonly side: Side } = {
    side,
    same(other, name, node) {
      const f = variableNamed(byName, name)
      const cell = f.cell + nodeIndex(f.scope, name, node)
      const a = h[side][cell]
      const b = h[(other as typeof storage).side][cell]
      return a === b || equalValues(f.type, a, b)
    }
  }
  Object.defineProperty(root, STORAGE, { value: storage })
  Object.defineProperty(root, "ghost", { value: root })
  for (const f of fields) {
    const b: Build = { h, side, write, guarded: f.ghost && !ghostReads, nodes }
    const perNode = f.scope === "node"
    if (isScalar(f.type)) {
      const cell0 = f.cell
      const at = perNode ? (i: number) => cell0 + i - 1 : () => cell0
      const read = b.guarded ? (): unknown => ghostRead() : cellReader(h, side, cell0, perNode)
      member(root, f.name, perNode, read, write ? (i, v) => void (h.next[at(i)] = v) : null)
    } else {
      const sub = accessor(f.type, perNode, b, reach(h, side, f.cell, perNode, f.type, []), f.type, f.cell, [])
      Object.defineProperty(root, f.name, { value: sub, enumerable: true })
    }
  }
  return root
}

/** The cells of each variable, in declaration order: node variables take one cell per node. */
export function placeValueFields(decl: Readonly<Record<string, { readonly scope: "node" | "global"; readonly ghost: boolean; readonly type: Type }>>, nodes: number): { fields: ValueField[]; cells: number } {
  const fields: ValueField[] = []
  let cell = 0
  for (const [name, f] of Object.entries(decl)) {
    fields.push({ name, scope: f.scope, ghost: f.ghost, type: f.type, cell })
    cell += f.scope === "node" ? nodes : 1
  }
  return { fields, cells: cell }
}

/** The state every variable of which is its zero value (what `init` then edits). */
export function zeroState(fields: readonly ValueField[], cells: number, nodes: number): ValueState {
  const s: ValueState = new Array(cells)
  for (const f of fields) for (let k = 0; k < (f.scope === "node" ? nodes : 1); k++) s[f.cell + k] = zeroValue(f.type)
  return s
}

/** Are two view values of `t` equal (sets as sets)? Shared parts compare by reference first. */
export function equalValues(t: Type, a: unknown, b: unknown): boolean {
  if (a === b) return true
  switch (t.kind) {
    case "record":
      return Object.entries(t.fields).every(([k, f]) => equalValues(f, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    case "seq":
    case "array": {
      const xs = a as unknown[]
      const ys = b as unknown[]
      if (xs.length !== ys.length) return false
      for (let k = 0; k < xs.length; k++) if (!equalValues(t.elem, xs[k], ys[k])) return false
      return true
    }
    case "set": {
      const xs = a as Map<unknown, unknown>
      const ys = b as Map<unknown, unknown>
      if (xs.size !== ys.size) return false
      for (const k of xs.keys()) if (!ys.has(k)) return false
      return true
    }
    default:
      return false
  }
}

// Hashing, for the validator's set of states. A compound's hash is kept with it (compounds are
// never changed once their state is built), so hashing a successor costs only the cells its
// step copied.

const hashes = new WeakMap<object, number>()

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x9e3779b1)
  return (h ^ (h >>> 15)) >>> 0
}
function scalarHash(v: unknown): number {
  if (typeof v === "boolean") return v ? 0x5bd1e995 : 0x1b873593
  const n = v as number
  return mix(mix(0x85ebca6b, n >>> 0), Math.floor(n / 4294967296) >>> 0)
}

function valueHash(t: Type, v: unknown): number {
  if (isScalar(t)) return scalarHash(v)
  const cached = hashes.get(v as object)
  if (cached !== undefined) return cached
  let h: number
  switch (t.kind) {
    case "record": {
      h = 0x27d4eb2f
      for (const [k, f] of Object.entries(t.fields)) h = mix(h, valueHash(f, (v as Record<string, unknown>)[k]))
      break
    }
    case "seq":
    case "array": {
      const xs = v as unknown[]
      h = mix(0x165667b1, xs.length)
      for (const x of xs) h = mix(h, valueHash(t.elem, x))
      break
    }
    case "set": {
      // Order-free: a sum of the elements' hashes.
      const m = v as Map<unknown, unknown>
      let sum = 0
      for (const x of m.values()) sum = (sum + valueHash(t.elem, x)) >>> 0
      h = mix(mix(0xd3a2646c, m.size), sum)
      break
    }
    default:
      throw new TypeError("no hash for a scalar here")
  }
  hashes.set(v as object, h)
  return h
}

/** A 32-bit hash of a state (equal states hash alike). */
export function hashState(fields: readonly ValueField[], nodes: number, s: ValueState): number {
  let h = 0x811c9dc5
  for (const f of fields) for (let k = 0; k < (f.scope === "node" ? nodes : 1); k++) h = mix(h, valueHash(f.type, s[f.cell + k]))
  return h
}

/** Are two states equal, variable by variable? */
export function equalStates(fields: readonly ValueField[], nodes: number, a: ValueState, b: ValueState): boolean {
  if (a === b) return true
  for (const f of fields) for (let k = 0; k < (f.scope === "node" ? nodes : 1); k++) if (!equalValues(f.type, a[f.cell + k], b[f.cell + k])) return false
  return true
}

/**
 * Does a readable value (an implementation's observation) equal the view value `v` of `t`? The
 * same answer as comparing `readableValue(t, v)` with it (records in any key order, sets in any
 * element order, no element twice), without building the readable value: the validator compares
 * every observed field of every candidate step.
 */
export function sameAsReadable(t: Type, v: unknown, r: unknown): boolean {
  switch (t.kind) {
    case "enum":
      return t.names[v as number] === r
    case "record": {
      if (r === null || typeof r !== "object" || Array.isArray(r)) return false
      let n = 0
      for (const k in r as object) {
        if (!Object.hasOwn(t.fields, k)) return false
        n++
      }
      const fields = t.fields
      for (const k in fields) if (!Object.hasOwn(r as object, k) || !sameAsReadable(fields[k]!, (v as Record<string, unknown>)[k], (r as Record<string, unknown>)[k])) return false
      return n === Object.keys(fields).length
    }
    case "seq":
    case "array": {
      const xs = v as unknown[]
      if (!Array.isArray(r) || r.length !== xs.length) return false
      for (let k = 0; k < xs.length; k++) if (!sameAsReadable(t.elem, xs[k], r[k])) return false
      return true
    }
    case "set": {
      const m = v as Map<unknown, unknown>
      if (!Array.isArray(r) || r.length !== m.size) return false
      if (r.length === 0) return true
      const key = keyOf(t.elem)
      const seen = new Set<unknown>()
      for (const x of r) {
        if (readableProblem(t.elem, x, Number.MAX_SAFE_INTEGER, "") !== null) return false
        const e = fromReadable(t.elem, x)
        const k = key(e)
        if (!m.has(k) || seen.has(k)) return false
        seen.add(k)
      }
      return true
    }
    default:
      return v === r
  }
}
