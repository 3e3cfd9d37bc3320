/**
 * Typed views over packed states. A view reads and writes one state's bytes in place, with
 * paths that mirror TLA+: `currentTerm[i]` is `s.currentTerm(i)`, `commitPoint[i].term` is
 * `s.commitPoint.term(i)`, `log[i][k].term` is `s.log.term(i, k)`, `Len(log[i])` is
 * `s.log.length(i)`; writes are `t.setCurrentTerm(i, 3)`, `t.log.push(i, { term: 3 })`.
 *
 * Why it is shaped this way (a successor costs tens of nanoseconds, and these accessors run
 * inside every guard and invariant):
 * - The search works on two fixed buffers per thread, `SRC` (the state being expanded) and
 *   `NEXT` (the successor being built, and the state invariants read). Generated accessor code
 *   refers to them as constants, so V8 folds a read into one load at a computed address.
 * - Accessors take their indices as arguments rather than returning per-node objects: the view
 *   reached from an action is a constant, so its offsets (const fields set once) fold too, and
 *   `s.log.term(i, k)` compiles to `SRC[o + (i - 1) * stride + k * width]`.
 * - Each class is generated once per declaration shape (names, kinds, enum names), buffer and
 *   mode (read, or read and write): everything that depends on the bounds is instance data, so
 *   one class serves every configuration, and call sites stay monomorphic across the many
 *   builds of one process.
 * - Ghost variables are guarded rather than left out: their reads check the view's `gr` flag
 *   (invariants may read ghosts, actions may not) and throw when it is off.
 * Views never allocate while a search runs (except `values()`, meant for diagnostics).
 */
import { cardinality, decodeValue, isScalar, widthOf, type ArrayType, type Fields, type RecordType, type ScalarType, type SeqType, type SetType, type Type, type TypeContext } from "./types.js"

/** The largest packed state the kit supports. */
export const MAX_STATE_BYTES = 1 << 16

/** The two buffers of this thread: the state being expanded, and the successor being built. */
export const SRC = new Uint8Array(new ArrayBuffer(MAX_STATE_BYTES))
export const NEXT = new Uint8Array(new ArrayBuffer(MAX_STATE_BYTES))

export type BufferName = "SRC" | "NEXT"

/** What a generated accessor is constructed with. */
export interface Plan {
  /** Offset of the value (for node 1, when it is a node variable). */
  readonly o: number
  /** Bytes between two nodes' copies of the value; 0 for a global. */
  readonly S: number
  readonly t: Type
  readonly ctx: TypeContext
  /** Ghost reads allowed. */
  readonly gr: boolean
}

type AccessorClass = new (plan: Plan) => object

const cache = new Map<string, AccessorClass>()

/** A structural key: what the generated code depends on (never a bound). */
export function shapeKey(t: Type): string {
  switch (t.kind) {
    case "enum":
      return `e(${t.names.map((n) => JSON.stringify(n)).join(",")})`
    case "record":
      return `{${Object.entries(t.fields).map(([k, f]) => `${JSON.stringify(k)}:${shapeKey(f)}`).join(",")}}`
    case "seq":
      return `[${shapeKey(t.elem)}]`
    case "set":
      return `s<${shapeKey(t.elem)}>`
    case "array":
      return `a[${shapeKey(t.elem)}]`
    case "node":
      return t.optional ? "n?" : "n"
    default:
      return t.kind[0]!
  }
}

function ghostRead(): never {
  throw new TypeError("that is a ghost variable: actions may write ghost variables but not read them (invariants read them)")
}
function badValue(what: string, v: unknown): never {
  throw new RangeError(`${what}: ${JSON.stringify(v) ?? String(v)} is not a value of its type`)
}
function full(): never {
  throw new RangeError("push: the sequence is full (raise its capacity, or bound the model so that it cannot grow this far)")
}
function empty(): never {
  throw new RangeError("pop from an empty sequence")
}
const HELPERS = { ghostRead, badValue, full, empty, decodeValue, widthOf, cardinality }

/** `x` decoded as a scalar of `t` (`m`: the expression of a range's minimum). */
function decodeExpr(t: ScalarType, x: string, m: string): string {
  switch (t.kind) {
    case "uint":
      return x
    case "range":
      return `(${x} + ${m})`
    case "bool":
      return `(${x} !== 0)`
    case "enum":
      // Views read and write enum codes (see types.ts, Code).
      return x
    case "node":
      return t.optional ? x : `(${x} + 1)`
  }
}
function encodeExpr(t: ScalarType, v: string, m: string): string {
  switch (t.kind) {
    case "uint":
      return v
    case "range":
      return `(${v} - ${m})`
    case "bool":
      return `(${v} ? 1 : 0)`
    case "enum":
      return v
    case "node":
      return t.optional ? v : `(${v} - 1)`
  }
}
const prop = (name: string) => `[${JSON.stringify(name)}]`
const setter = (name: string) => JSON.stringify(`set${name[0]!.toUpperCase()}${name.slice(1)}`)
const quoted = (name: string) => JSON.stringify(name)

/** Compiles generated source; `deps` become constants of it. */
function compile(source: string, deps: Record<string, unknown>): AccessorClass {
  const names = Object.keys(deps)
  return new Function("deps", `"use strict";\n${names.map((n) => `const ${n} = deps.${n};`).join("\n")}\nreturn ${source}`)(deps) as AccessorClass
}

/**
 * Members for a scalar at address `addr` (JS source over `this`, the node `i` and position `k`).
 * With no index parameters it is a property; otherwise `name(...)` and `setName(..., v)`.
 */
function scalarMembers(name: string, t: ScalarType, addr: string, params: readonly string[], m: string, write: boolean, ghost: boolean): string[] {
  const guard = ghost ? "if (!this.gr) H.ghostRead(); " : ""
  const read = decodeExpr(t, `B[${addr}]`, m)
  const store = `B[${addr}] = ${encodeExpr(t, "v", m)}`
  if (params.length === 0) return [`get ${quoted(name)}() { ${guard}return ${read} }`, ...(write ? [`set ${quoted(name)}(v) { ${store} }`] : [])]
  const ps = params.join(", ")
  return [`${quoted(name)}(${ps}) { ${guard}return ${read} }`, ...(write ? [`${setter(name)}(${ps}, v) { ${store} }`] : [])]
}

/**
 * The accessor class of a compound value: a record, sequence, set or array. `perNode`: the value
 * is a node variable's (or part of one), so every method takes the node id first.
 */
export function accessorClass(t: Type, perNode: boolean, write: boolean, ghost: boolean, buffer: BufferName): AccessorClass {
  const key = `${buffer}:${write ? "w" : "r"}${ghost ? "g" : ""}${perNode ? "n" : ""}:${shapeKey(t)}`
  let cls = cache.get(key)
  if (cls === undefined) {
    const deps: Record<string, unknown> = { H: HELPERS, B: buffer === "SRC" ? SRC : NEXT }
    // For a node variable, `this.o` is node 0's (virtual) copy, so node i's is at this.o + i * this.S.
    const ctor = ["this.o = p.o - p.S", "this.S = p.S", "this.gr = p.gr", "this.ctx = p.ctx", "this.t = p.t"]
    const body: string[] = []
    const node = perNode ? ["i"] : []
    const base = perNode ? "this.o + i * this.S" : "this.o"
    const guard = ghost ? "if (!this.gr) H.ghostRead(); " : ""
    if (t.kind === "record") recordMembers(t, node, write, ghost, buffer, deps, ctor, body)
    else if (t.kind === "seq" || t.kind === "array") sequenceMembers(t, node, base, write, guard, ctor, body)
    else if (t.kind === "set") setMembers(t as SetType, node, base, write, guard, ctor, body)
    else throw new TypeError(`no accessor for a ${t.kind}`)
    cls = compile(`class {\n  constructor(p) {\n    ${ctor.join("\n    ")}\n  }\n  ${body.join("\n  ")}\n}`, deps)
    cache.set(key, cls)
  }
  return cls
}

/** A record's fields: scalars as members, compounds as sub-accessors (constructed here). */
function recordMembers(t: RecordType, node: readonly string[], write: boolean, ghost: boolean, buffer: BufferName, deps: Record<string, unknown>, ctor: string[], body: string[]) {
  ctor.push("let off = p.o", "const fs = p.t.fields")
  const shift = node.length > 0 ? " - p.S" : ""
  Object.entries(t.fields).forEach(([name, f], k) => {
    if (isScalar(f)) {
      ctor.push(`this.$${k} = off${shift}`)
      if (f.kind === "range") ctor.push(`this.m$${k} = fs${prop(name)}.min`)
      const addr = node.length > 0 ? `this.$${k} + i * this.S` : `this.$${k}`
      body.push(...scalarMembers(name, f, addr, node, `this.m$${k}`, write, ghost))
    } else {
      deps[`C${k}`] = accessorClass(f, node.length > 0, write, ghost, buffer)
      ctor.push(`this.c$${k} = new C${k}({ o: off, S: p.S, t: fs${prop(name)}, ctx: p.ctx, gr: p.gr })`)
      body.push(`get ${quoted(name)}() { return this.c$${k} }`)
    }
    ctor.push(`off += H.widthOf(fs${prop(name)}, p.ctx)`)
  })
}

/** Sequences (a length byte, then slots) and arrays (slots only); elements are scalars or records of scalars. */
function sequenceMembers(t: SeqType | Type, node: readonly string[], base: string, write: boolean, guard: string, ctor: string[], body: string[]) {
  const seq = t.kind === "seq"
  const elem = (t as SeqType).elem
  const ps = node.join(", ")
  const withK = [...node, "k"].join(", ")
  ctor.push("this.W = H.widthOf(p.t.elem, p.ctx)", seq ? "this.cap = p.t.capacity" : "this.cap = p.t.length")
  if (seq) body.push(node.length > 0 ? `length(${ps}) { ${guard}return B[${base}] }` : `get length() { ${guard}return B[this.o] }`)
  else body.push(node.length > 0 ? `length(${ps}) { return this.cap }` : `get length() { return this.cap }`)
  body.push(`values(${ps}) { ${guard}return H.decodeValue(this.t, B, ${base}, this.ctx) }`)
  // Slot k (1-based) of node i starts at o + i * S + first + (k - 1) * W: `this.q$f` folds in
  // everything but i and k, per element field f (scalars: f is 0).
  const first = seq ? 1 : 0
  const slot = (q: string) => `${q} + ${node.length > 0 ? "i * this.S + " : ""}k * this.W`
  const fields: Array<[string, ScalarType, number]> = elem.kind !== "record" ? [] : Object.entries((elem as RecordType<Fields>).fields).map(([name, f], k) => [name, f as ScalarType, k])
  if (isScalar(elem)) {
    ctor.push(`this.q$0 = this.o + ${first} - this.W`)
    if (elem.kind === "range") ctor.push("this.m = p.t.elem.min")
    body.push(`at(${withK}) { ${guard}return ${decodeExpr(elem, `B[${slot("this.q$0")}]`, "this.m")} }`)
    if (write) body.push(`set(${withK}, v) { B[${slot("this.q$0")}] = ${encodeExpr(elem, "v", "this.m")} }`)
  } else if (elem.kind === "array") {
    // An array of scalars as the element: one more index, k2 (1-based), one byte per entry.
    const inner = (elem as ArrayType).elem as ScalarType
    const withK2 = `${withK}, k2`
    ctor.push(`this.q$0 = this.o + ${first} - this.W - 1`)
    if (inner.kind === "range") ctor.push("this.m = p.t.elem.elem.min")
    const at2 = `B[${slot("this.q$0")} + k2]`
    body.push(`at(${withK2}) { ${guard}return ${decodeExpr(inner, at2, "this.m")} }`)
    if (write) body.push(`set(${withK2}, v) { ${at2} = ${encodeExpr(inner, "v", "this.m")} }`)
  } else {
    for (const [name, f, k] of fields) {
      // Every scalar is one byte, so field k of an element is its byte k.
      ctor.push(`this.q$${k} = this.o + ${first} - this.W + ${k}`)
      if (f.kind === "range") ctor.push(`this.m$${k} = p.t.elem.fields${prop(name)}.min`)
      const m = `this.m$${k}`
      body.push(`${quoted(name)}(${withK}) { ${guard}return ${decodeExpr(f, `B[${slot(`this.q$${k}`)}]`, m)} }`)
      if (write) body.push(`${setter(name)}(${withK}, v) { B[${slot(`this.q$${k}`)}] = ${encodeExpr(f, "v", m)} }`)
    }
  }
  if (!(write && seq)) return
  const at = (k: string) => `a + 1 + (${k}) * this.W`
  const fill = isScalar(elem)
    ? `B[${at("n")}] = ${encodeExpr(elem, "v", "this.m")}`
    : fields.map(([name, f, k]) => `B[${at("n")} + ${k}] = ${encodeExpr(f, `v${prop(name)}`, `this.m$${k}`)}`).join("; ")
  const lead = node.length > 0 ? `${ps}, ` : ""
  body.push(`push(${lead}v) { const a = ${base}; const n = B[a]; if (n >= this.cap) H.full(); ${fill}; B[a] = n + 1 }`)
  body.push(`pop(${ps}) { const a = ${base}; const n = B[a]; if (n === 0) H.empty(); const from = ${at("n - 1")}; for (let x = 0; x < this.W; x++) B[from + x] = 0; B[a] = n - 1 }`)
  body.push(`truncate(${lead}len) { const a = ${base}; while (B[a] > len) this.pop(${ps}) }`)
  body.push(`clear(${ps}) { this.truncate(${lead}0) }`)
}

/** Sets: a bitset by rank. */
function setMembers(t: SetType, node: readonly string[], base: string, write: boolean, guard: string, ctor: string[], body: string[]) {
  const elem = t.elem
  const ps = node.join(", ")
  const lead = node.length > 0 ? `${ps}, ` : ""
  ctor.push("this.bytes = H.widthOf(p.t, p.ctx)")
  // The rank, computed inline in each method (a call would cost as much as the bit test): each
  // part's code c_k, in range 0 .. k_k - 1, mixed-radix with the first part most significant.
  const parts: Array<[ScalarType, string]> = isScalar(elem)
    ? [[elem, "v"]]
    : Object.entries((elem as RecordType<Fields>).fields).map(([name, f]) => [f as ScalarType, `v${prop(name)}`])
  parts.forEach(([f], k) => {
    const path = isScalar(elem) ? "p.t.elem" : `p.t.elem.fields${prop(Object.keys((elem as RecordType<Fields>).fields)[k]!)}`
    ctor.push(`this.k${k} = H.cardinality(${path}, p.ctx)`)
    if (f.kind === "range") ctor.push(`this.m${k} = ${path}.min`)
  })
  const code = (f: ScalarType, v: string, k: number) =>
    f.kind === "range" ? `${v} - this.m${k}` : f.kind === "node" ? (f.optional ? v : `${v} - 1`) : f.kind === "bool" ? `(${v} === true ? 1 : ${v} === false ? 0 : -1)` : v
  const codes = parts.map(([f, v], k) => `const c${k} = ${code(f, v, k)}`).join("; ")
  const inRange = parts.map((_, k) => `c${k} >= 0 && c${k} < this.k${k}`).join(" && ")
  const mixed = parts.reduce((acc, _, k) => (k === 0 ? "c0" : `(${acc}) * this.k${k} + c${k}`), "")
  const rank = `${codes}; const r = ${inRange} ? ${mixed} : -1`
  const bit = `B[a + (r >> 3)]`
  body.push(`has(${lead}v) { ${guard}const a = ${base}; ${rank}; return r >= 0 && (${bit} & (1 << (r & 7))) !== 0 }`)
  const size = `let c = 0; const a = ${base}; for (let x = 0; x < this.bytes; x++) { let y = B[a + x]; while (y) { y &= y - 1; c++ } } return c`
  body.push(node.length > 0 ? `size(${ps}) { ${guard}${size} }` : `get size() { ${guard}${size} }`)
  body.push(`values(${ps}) { ${guard}return H.decodeValue(this.t, B, ${base}, this.ctx) }`)
  // Members in rank order, each as a view value (a record element as a fresh object), found by
  // walking the set bits: an empty set costs one read a byte, whatever the bounds.
  const decodePart = ([f]: [ScalarType, string], k: number) =>
    f.kind === "range" ? `c${k} + this.m${k}` : f.kind === "node" ? (f.optional ? `c${k}` : `c${k} + 1`) : f.kind === "bool" ? `c${k} !== 0` : `c${k}`
  const split = parts
    .map((_, k) => k)
    .reverse()
    .map((k) => (k === 0 ? "const c0 = q" : `const c${k} = q % this.k${k}; q = (q - c${k}) / this.k${k}`))
    .join("; ")
  const element = isScalar(elem)
    ? decodePart(parts[0]!, 0)
    : `{ ${Object.keys((elem as RecordType<Fields>).fields).map((name, k) => `${quoted(name)}: ${decodePart(parts[k]!, k)}`).join(", ")} }`
  const walk = (visit: string) =>
    `const a = ${base}; for (let x = 0; x < this.bytes; x++) { let y = B[a + x]; while (y !== 0) { const low = y & -y; y ^= low; let q = x * 8 + 31 - Math.clz32(low); ${split}; ${visit} } }`
  const numbers = parts.map((p, k) => (p[0].kind === "bool" ? `c${k}` : decodePart(p, k)))
  body.push(`collect(${lead}into) { ${guard}let n = 0; ${walk(numbers.map((x) => `into[n++] = ${x}`).join("; "))} return n / ${parts.length} }`)
  body.push(`some(${lead}pred) { ${guard}${walk(`if (pred(${element})) return true`)} return false }`)
  body.push(`forEach(${lead}fn) { ${guard}${walk(`fn(${element})`)} }`)
  if (write) {
    body.push(`add(${lead}v) { const a = ${base}; ${rank}; if (r < 0) H.badValue("add", v); ${bit} |= 1 << (r & 7) }`)
    body.push(`delete(${lead}v) { const a = ${base}; ${rank}; if (r >= 0) ${bit} &= ~(1 << (r & 7)) }`)
    body.push(`clear(${ps}) { const a = ${base}; for (let x = 0; x < this.bytes; x++) B[a + x] = 0 }`)
  }
  if (elem.kind === "node") {
    // A set of node ids is also a bitmask (bit id - 1), for bulk operations and parameters.
    const get = `let m = 0; const a = ${base}; for (let x = this.bytes - 1; x >= 0; x--) m = (m << 8) | B[a + x]; return m >>> 0`
    body.push(node.length > 0 ? `mask(${ps}) { ${guard}${get} }` : `get mask() { ${guard}${get} }`)
    const set = `const a = ${base}; for (let x = 0; x < this.bytes; x++) { B[a + x] = m & 255; m >>>= 8 }`
    if (write) body.push(node.length > 0 ? `setMask(${ps}, m) { ${set} }` : `set mask(m) { ${set} }`)
  }
}

/** A variable of the root view. */
export interface RootField {
  readonly name: string
  readonly type: Type
  readonly ghost: boolean
  readonly scope: "node" | "global"
  /** Offset within a node's block, or within the state. */
  readonly offset: number
}

/**
 * The root view of a state declaration: globals (properties for scalars) and node variables
 * (methods taking the node id), plus `nodeCount` and `ghost` (the view itself: the types show
 * ghosts only under it in actions).
 */
export interface RootPlan {
  readonly stride: number
  readonly nodes: number
  readonly ctx: TypeContext
  readonly gr: boolean
  readonly fields: readonly RootField[]
}

export function rootClass(fields: readonly RootField[], write: boolean, buffer: BufferName, shape: string): new (p: RootPlan) => object {
  const key = `root:${buffer}:${write ? "w" : "r"}:${shape}`
  let cls = cache.get(key)
  if (cls === undefined) {
    const deps: Record<string, unknown> = { H: HELPERS, B: buffer === "SRC" ? SRC : NEXT }
    const ctor = ["this.S = p.stride", "this.gr = p.gr", "this.nodes = p.nodes", "this.ctx = p.ctx", "const fs = p.fields"]
    const body = ["get nodeCount() { return this.nodes }", "get ghost() { return this }"]
    fields.forEach((f, k) => {
      const node = f.scope === "node"
      if (isScalar(f.type)) {
        ctor.push(`this.$${k} = fs[${k}].offset${node ? " - p.stride" : ""}`)
        if (f.type.kind === "range") ctor.push(`this.m$${k} = fs[${k}].type.min`)
        const addr = node ? `this.$${k} + i * this.S` : `this.$${k}`
        body.push(...scalarMembers(f.name, f.type, addr, node ? ["i"] : [], `this.m$${k}`, write, f.ghost))
      } else {
        deps[`C${k}`] = accessorClass(f.type, node, write, f.ghost, buffer)
        ctor.push(`this.c$${k} = new C${k}({ o: fs[${k}].offset, S: ${node ? "p.stride" : "0"}, t: fs[${k}].type, ctx: p.ctx, gr: p.gr })`)
        body.push(`get ${quoted(f.name)}() { return this.c$${k} }`)
      }
    })
    cls = compile(`class {\n  constructor(p) {\n    ${ctor.join("\n    ")}\n  }\n  ${body.join("\n  ")}\n}`, deps)
    cache.set(key, cls)
  }
  return cls as unknown as new (p: RootPlan) => object
}
