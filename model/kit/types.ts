/**
 * Value types of state variables. A type fixes, for given bounds, how many bytes a value takes in
 * the packed state the search edits, how it reads back as a plain value (the readable state that
 * ITF traces and implementation traces carry), and how that value is checked on the way in.
 *
 * Every scalar takes one byte holding its code, 0..card-1, so a zeroed state reads as the first
 * value of every scalar, and the code is also the scalar's rank in a set. Compound types are
 * concatenations of their parts. No Effect here: worker threads load this.
 */

/** 0..max, one byte. */
export interface UIntType {
  readonly kind: "uint"
  readonly max: number
}
/** min..max, one byte holding value - min. */
export interface RangeType {
  readonly kind: "range"
  readonly min: number
  readonly max: number
}
export interface BoolType {
  readonly kind: "bool"
}
/** One of a few names, one byte holding the name's position (its code). */
export interface EnumType<N extends string = string> {
  readonly kind: "enum"
  readonly names: readonly N[]
}

/**
 * The code of name K of an enum: what state views read and write. Comparing codes is one integer
 * comparison, which is why views do not hand out the names (the readable state has the names).
 */
export type Code<K extends string> = number & { readonly __enumName: K }

/** An enum type together with its codes by name: `Role.Leader`. */
export type Enum<N extends string> = EnumType<N> & { readonly [K in N]: Code<K> }
/** A node id 1..n, one byte holding id - 1; or, when `optional`, 0 (no node) or an id, held as is. */
export interface NodeType {
  readonly kind: "node"
  readonly optional?: boolean
}
export type ScalarType = UIntType | RangeType | BoolType | EnumType | NodeType

export interface RecordType<F extends Fields = Fields> {
  readonly kind: "record"
  readonly fields: F
}
/** A sequence of at most `capacity` elements: a length byte, then `capacity` element slots. */
export interface SeqType<E extends Type = Type> {
  readonly kind: "seq"
  readonly elem: E
  readonly capacity: number
}
/** A set over a finite element type (a scalar or a record of scalars), as a bitset by rank. */
export interface SetType<E extends Type = Type> {
  readonly kind: "set"
  readonly elem: E
}
/** A fixed number of elements, indexed 1..length. */
export interface ArrayType<E extends Type = Type> {
  readonly kind: "array"
  readonly elem: E
  readonly length: number
}

export type Type = ScalarType | RecordType | SeqType | SetType | ArrayType
export type Fields = { readonly [name: string]: Type }

/** What a type's size may depend on besides its own parameters. */
export interface TypeContext {
  /** Number of nodes (node ids are 1..nodes). */
  readonly nodes: number
}

// Constructors.

/** An integer 0..max (max at most 255). */
export const uint = (max: number): UIntType => ({ kind: "uint", max })
/** An integer min..max (at most 256 values). */
export const range = (min: number, max: number): RangeType => ({ kind: "range", min, max })
export const bool: BoolType = { kind: "bool" }
/**
 * One of the given names; a zeroed state holds the first. The result also maps each name to its
 * code: `const Role = oneOf("Follower", "Leader")`, then `s.state(i) === Role.Leader`.
 */
export function oneOf<const N extends string>(...names: N[]): Enum<N> {
  const t: Record<string, unknown> = { kind: "enum", names }
  names.forEach((n, k) => {
    if (n === "kind" || n === "names") throw new RangeError(`oneOf: ${JSON.stringify(n)} is reserved (the type's own fields are kind and names)`)
    t[n] = k
  })
  return t as Enum<N>
}
/** A node id, 1..n. */
export const nodeId: NodeType = { kind: "node" }
/** A node id, or 0 for none (a leader a node does not know, say). */
export const nodeOrNone: NodeType = { kind: "node", optional: true }
export const record = <const F extends Fields>(fields: F): RecordType<F> => ({ kind: "record", fields })
/** A sequence of at most `capacity` elements (at most 255). */
export const seqOf = <E extends Type>(elem: E, capacity: number): SeqType<E> => ({ kind: "seq", elem, capacity })
/** A set of elements of a finite type: a scalar, or a record of scalars. */
export const setOf = <E extends Type>(elem: E): SetType<E> => ({ kind: "set", elem })
/** A set of node ids. */
export const nodeSet: SetType<NodeType> = setOf(nodeId)
/** `length` elements, indexed 1..length. */
export const arrayOf = <E extends Type>(elem: E, length: number): ArrayType<E> => ({ kind: "array", elem, length })

// The readable value of a type (what decode returns and traces carry).

export type ValueOf<T> = T extends BoolType
  ? boolean
  : T extends EnumType<infer N>
    ? N
    : T extends UIntType | RangeType | NodeType
      ? number
      : T extends RecordType<infer F>
        ? { readonly [K in keyof F]: ValueOf<F[K]> }
        : T extends SeqType<infer E> | SetType<infer E> | ArrayType<infer E>
          ? ReadonlyArray<ValueOf<E>>
          : never

/** A scalar as state views read and write it: enums as codes, the rest as their readable values. */
export type ViewValue<T> = T extends EnumType<infer N> ? Code<N> : ValueOf<T>

export function isScalar(t: Type): t is ScalarType {
  return t.kind === "uint" || t.kind === "range" || t.kind === "bool" || t.kind === "enum" || t.kind === "node"
}

/** Number of values of a scalar. */
export function cardinality(t: ScalarType, ctx: TypeContext): number {
  switch (t.kind) {
    case "uint":
      return t.max + 1
    case "range":
      return t.max - t.min + 1
    case "bool":
      return 2
    case "enum":
      return t.names.length
    case "node":
      return t.optional ? ctx.nodes + 1 : ctx.nodes
  }
}

/** Number of elements a set of `elem` can hold (its bitset's bits). */
export function domainSize(elem: Type, ctx: TypeContext): number {
  if (isScalar(elem)) return cardinality(elem, ctx)
  if (elem.kind === "record") return Object.values(elem.fields).reduce((n, f) => n * domainSize(f, ctx), 1)
  throw new TypeError(`a set's elements must be scalars or records of scalars, not ${elem.kind}`)
}

/** Bytes a value of `t` takes. */
export function widthOf(t: Type, ctx: TypeContext): number {
  switch (t.kind) {
    case "record":
      return Object.values(t.fields).reduce((w, f) => w + widthOf(f, ctx), 0)
    case "seq":
      return 1 + t.capacity * widthOf(t.elem, ctx)
    case "set":
      return Math.ceil(domainSize(t.elem, ctx) / 8)
    case "array":
      return t.length * widthOf(t.elem, ctx)
    default:
      return 1
  }
}

/** Rejects a type that cannot be packed at these bounds, naming where. */
export function checkType(t: Type, ctx: TypeContext, where: string): void {
  const fail = (why: string) => {
    throw new RangeError(`${where}: ${why}`)
  }
  switch (t.kind) {
    case "uint":
      if (!Number.isInteger(t.max) || t.max < 0 || t.max > 255) fail(`uint(${t.max}): the maximum must be an integer 0..255`)
      return
    case "range":
      if (!Number.isInteger(t.min) || !Number.isInteger(t.max) || t.max < t.min || t.max - t.min > 255) fail(`range(${t.min}, ${t.max}) must hold 1..256 integers`)
      return
    case "enum":
      if (t.names.length === 0 || t.names.length > 256 || new Set(t.names).size !== t.names.length) fail("oneOf needs 1..256 distinct names")
      return
    case "node":
      if (ctx.nodes < 1 || ctx.nodes > 32) fail(`node ids need 1..32 nodes, not ${ctx.nodes}`)
      return
    case "bool":
      return
    case "record":
      for (const [name, f] of Object.entries(t.fields)) checkType(f, ctx, `${where}.${name}`)
      return
    case "seq":
      if (!Number.isInteger(t.capacity) || t.capacity < 0 || t.capacity > 255) fail(`seqOf capacity ${t.capacity} must be an integer 0..255`)
      checkElement(t.elem, where)
      checkType(t.elem, ctx, `${where}[]`)
      return
    case "array":
      if (!Number.isInteger(t.length) || t.length < 0) fail(`arrayOf length ${t.length} must be a non-negative integer`)
      checkElement(t.elem, where)
      checkType(t.elem, ctx, `${where}[]`)
      return
    case "set":
      if (!isScalar(t.elem) && !(t.elem.kind === "record" && Object.values(t.elem.fields).every(isScalar))) {
        fail("a set's elements must be scalars or records of scalars")
      }
      if (t.elem.kind === "node" && t.elem.optional) fail("a set of node ids holds ids only: use nodeSet, not a set of nodeOrNone")
      checkType(t.elem, ctx, `${where}{}`)
      return
  }
}

/** Elements of sequences and arrays: scalars, records of scalars, or arrays of scalars. */
function checkElement(e: Type, where: string): void {
  const ok = isScalar(e) || (e.kind === "record" && Object.values(e.fields).every(isScalar)) || (e.kind === "array" && isScalar(e.elem))
  if (!ok) throw new RangeError(`${where}: the elements of a sequence or array must be scalars, records of scalars or arrays of scalars`)
}

/** Does a value of `t` mention node ids (so that permuting nodes changes it)? */
export function mentionsNodes(t: Type): boolean {
  switch (t.kind) {
    case "node":
      return true
    case "record":
      return Object.values(t.fields).some(mentionsNodes)
    case "seq":
    case "set":
    case "array":
      return mentionsNodes(t.elem)
    default:
      return false
  }
}

// Scalars as codes.

/** The code of a readable scalar, or -1 when it is not a value of the type. */
export function codeOf(t: ScalarType, v: unknown, ctx: TypeContext): number {
  switch (t.kind) {
    case "uint":
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= t.max ? (v as number) : -1
    case "range":
      return Number.isInteger(v) && (v as number) >= t.min && (v as number) <= t.max ? (v as number) - t.min : -1
    case "bool":
      return v === true ? 1 : v === false ? 0 : -1
    case "enum":
      return t.names.indexOf(v as string)
    case "node": {
      const lowest = t.optional ? 0 : 1
      return Number.isInteger(v) && (v as number) >= lowest && (v as number) <= ctx.nodes ? (v as number) - lowest : -1
    }
  }
}

export function scalarOf(t: ScalarType, code: number): number | boolean | string {
  switch (t.kind) {
    case "uint":
      return code
    case "range":
      return code + t.min
    case "bool":
      return code !== 0
    case "enum":
      return t.names[code]!
    case "node":
      return t.optional ? code : code + 1
  }
}

export function describeScalar(t: ScalarType, ctx: TypeContext): string {
  switch (t.kind) {
    case "uint":
      return `an integer 0..${t.max}`
    case "range":
      return `an integer ${t.min}..${t.max}`
    case "bool":
      return "a boolean"
    case "enum":
      return `one of ${t.names.map((n) => JSON.stringify(n)).join(", ")}`
    case "node":
      return t.optional ? `a node id 1..${ctx.nodes}, or 0 for none` : `a node id 1..${ctx.nodes}`
  }
}

/** Rank of a readable set element (mixed radix over a record's fields, first field most significant), or -1. */
export function rankOf(elem: Type, v: unknown, ctx: TypeContext): number {
  if (isScalar(elem)) return codeOf(elem, v, ctx)
  if (elem.kind !== "record" || v === null || typeof v !== "object") return -1
  let rank = 0
  for (const [name, f] of Object.entries(elem.fields)) {
    const c = codeOf(f as ScalarType, (v as Record<string, unknown>)[name], ctx)
    if (c < 0) return -1
    rank = rank * cardinality(f as ScalarType, ctx) + c
  }
  return rank
}

function unrank(elem: Type, rank: number, ctx: TypeContext): unknown {
  if (isScalar(elem)) return scalarOf(elem, rank)
  const fields = Object.entries((elem as RecordType).fields)
  const out: Record<string, unknown> = {}
  for (let k = fields.length - 1; k >= 0; k--) {
    const [name, f] = fields[k]!
    const card = cardinality(f as ScalarType, ctx)
    out[name] = scalarOf(f as ScalarType, rank % card)
    rank = Math.floor(rank / card)
  }
  // Keys in declaration order.
  return Object.fromEntries(fields.map(([name]) => [name, out[name]]))
}

// Whole values: bytes to readable and back (diagnostics and traces; not the search's hot path).

export function decodeValue(t: Type, b: Uint8Array, off: number, ctx: TypeContext): unknown {
  switch (t.kind) {
    case "record": {
      const out: Record<string, unknown> = {}
      let o = off
      for (const [name, f] of Object.entries(t.fields)) {
        out[name] = decodeValue(f, b, o, ctx)
        o += widthOf(f, ctx)
      }
      return out
    }
    case "seq": {
      const w = widthOf(t.elem, ctx)
      return Array.from({ length: b[off]! }, (_, k) => decodeValue(t.elem, b, off + 1 + k * w, ctx))
    }
    case "array": {
      const w = widthOf(t.elem, ctx)
      return Array.from({ length: t.length }, (_, k) => decodeValue(t.elem, b, off + k * w, ctx))
    }
    case "set": {
      const out: unknown[] = []
      const size = domainSize(t.elem, ctx)
      for (let r = 0; r < size; r++) if (b[off + (r >> 3)]! & (1 << (r & 7))) out.push(unrank(t.elem, r, ctx))
      return out
    }
    default:
      return scalarOf(t, b[off]!)
  }
}

/** Packs a readable value; throws a RangeError naming the path of the first part that does not fit. */
export function encodeValue(t: Type, v: unknown, b: Uint8Array, off: number, ctx: TypeContext, path: string): void {
  const fail = (why: string): never => {
    throw new RangeError(`${path}: ${why}`)
  }
  const show = (x: unknown) => JSON.stringify(x) ?? String(x)
  switch (t.kind) {
    case "record": {
      if (v === null || typeof v !== "object" || Array.isArray(v)) fail(`expected a record, got ${show(v)}`)
      let o = off
      for (const [name, f] of Object.entries(t.fields)) {
        if (!(name in (v as object))) fail(`missing field ${name}`)
        encodeValue(f, (v as Record<string, unknown>)[name], b, o, ctx, `${path}.${name}`)
        o += widthOf(f, ctx)
      }
      return
    }
    case "seq":
    case "array": {
      if (!Array.isArray(v)) fail(`expected a sequence, got ${show(v)}`)
      const xs = v as unknown[]
      if (t.kind === "seq" && xs.length > t.capacity) fail(`length ${xs.length} is more than the ${t.capacity} the bounds allow`)
      if (t.kind === "array" && xs.length !== t.length) fail(`expected ${t.length} elements, got ${xs.length}`)
      const w = widthOf(t.elem, ctx)
      const start = t.kind === "seq" ? off + 1 : off
      if (t.kind === "seq") b[off] = xs.length
      xs.forEach((x, k) => encodeValue(t.elem, x, b, start + k * w, ctx, `${path}[${k + 1}]`))
      return
    }
    case "set": {
      if (!Array.isArray(v)) fail(`expected a set, got ${show(v)}`)
      for (const x of v as unknown[]) {
        const r = rankOf(t.elem, x, ctx)
        if (r < 0) fail(`${show(x)} is not ${isScalar(t.elem) ? describeScalar(t.elem, ctx) : "an element within the bounds"}`)
        b[off + (r >> 3)]! |= 1 << (r & 7)
      }
      return
    }
    default: {
      const c = codeOf(t, v, ctx)
      if (c < 0) fail(`${show(v)} is not ${describeScalar(t, ctx)}`)
      b[off] = c
    }
  }
}
