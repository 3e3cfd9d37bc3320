/**
 * A protocol's state, declared once. From one declaration of its variables (each a node's own,
 * global, or ghost, with a value type) the kit derives, for given bounds: the packed byte layout,
 * typed views for actions and invariants, the codec between bytes and the readable state, the
 * variable names traces use, and the node-symmetry canonicaliser.
 *
 * Layout: one block per node holding the node variables in declaration order (node 1 first), then
 * the global variables in declaration order, padded to whole 32-bit words. Unused bytes stay zero.
 * No Effect here: worker threads load this.
 */
import { eventually, leadsTo, leadsToEach, type TemporalDecl } from "./temporal.js"
import {
  checkType,
  decodeValue,
  encodeValue,
  widthOf,
  type ArrayType,
  type NodeType,
  type RecordType,
  type ScalarType,
  type SeqType,
  type SetType,
  type Type,
  type TypeContext,
  type ValueOf,
  type ViewValue
} from "./types.js"
import { ActionBuilder } from "./action.js"
import { invariant, stepInvariant, type InvariantDecl, type StepInvariantDecl } from "./invariant.js"
import { symmetryOf } from "./symmetry.js"
import { packedStorage, STORAGE } from "./unchanged.js"
import { MAX_STATE_BYTES, NEXT, rootClass, SRC, type BufferName } from "./views.js"

export type Scope = "node" | "global"

/** A state variable: its scope, whether it is ghost (history for invariants), and its type. */
export interface FieldDecl<T extends Type = Type, S extends Scope = Scope, G extends boolean = boolean> {
  readonly scope: S
  readonly ghost: G
  readonly type: T
}

/** A variable every node has its own value of (TLA+: a function of the node). */
export const perNode = <T extends Type>(type: T): FieldDecl<T, "node", false> => ({ scope: "node", ghost: false, type })
/** A variable of the whole system: shared storage, the network, or a global of a TLA+ spec. */
export const global = <T extends Type>(type: T): FieldDecl<T, "global", false> => ({ scope: "global", ghost: false, type })
/**
 * A ghost variable: history kept for invariants only (which operation wrote a version, what was
 * committed). Actions may write it and never read it, so no guard can depend on it.
 */
export const ghost = <T extends Type, S extends Scope>(field: FieldDecl<T, S, false>): FieldDecl<T, S, true> => ({ ...field, ghost: true })

export type Declaration = { readonly [name: string]: FieldDecl }

// View types, derived from the declaration. A node variable's accessors take the node id first,
// a sequence's element accessors the position (1-based) next; with no index left, a scalar is a
// property. Writers are `setName(..., value)`.

type ScalarKeys<F> = { [K in keyof F]: F[K] extends ScalarType ? K : never }[keyof F]
type CompoundKeys<F> = Exclude<keyof F, ScalarKeys<F>>
type SetName<K> = `set${Capitalize<K & string>}`
type Ix<P extends boolean> = P extends true ? [node: number] : []

/** The scalar fields of F, read (and written) with the index arguments `I`. */
type Members<F, I extends unknown[], W extends boolean> = (I extends []
  ? W extends true
    ? { -readonly [K in ScalarKeys<F>]: ViewValue<F[K]> }
    : { readonly [K in ScalarKeys<F>]: ViewValue<F[K]> }
  : { readonly [K in ScalarKeys<F>]: (...index: I) => ViewValue<F[K]> }) &
  (W extends true ? (I extends [] ? unknown : { readonly [K in ScalarKeys<F> as SetName<K>]: (...args: [...I, ViewValue<F[K]>]) => void }) : unknown)

/** The accessor of a compound value; `P`: part of a node variable (methods take the node id first). */
export type Accessor<T, P extends boolean, W extends boolean> = T extends RecordType<infer F>
  ? Members<F, Ix<P>, W> & { readonly [K in CompoundKeys<F>]: Accessor<F[K], P, W> }
  : T extends SeqType<infer E>
    ? SeqAccessor<E, P, W>
    : T extends ArrayType<infer E>
      ? ArrayAccessor<E, P, W>
      : T extends SetType<infer E>
        ? SetAccessor<E, P, W>
        : never

type Elements<E, P extends boolean, W extends boolean> = E extends ScalarType
  ? { at(...args: [...Ix<P>, k: number]): ViewValue<E> } & (W extends true ? { set(...args: [...Ix<P>, k: number, v: ViewValue<E>]): void } : unknown)
  : E extends RecordType<infer F>
    ? Members<F, [...Ix<P>, k: number], W>
    : E extends ArrayType<infer X>
      ? { at(...args: [...Ix<P>, k: number, k2: number]): ViewValue<X> } & (W extends true ? { set(...args: [...Ix<P>, k: number, k2: number, v: ViewValue<X>]): void } : unknown)
      : unknown

export type SeqAccessor<E, P extends boolean, W extends boolean> = {
  /** The number of elements. */
  readonly length: P extends true ? (node: number) => number : number
  /** The elements as readable values (allocates; for diagnostics). */
  values(...index: Ix<P>): Array<ValueOf<E>>
} & Elements<E, P, W> &
  (W extends true
    ? {
        /** Appends an element (full: a RangeError). */
        push(...args: [...Ix<P>, v: ElementValue<E>]): void
        /** Removes the last element (its bytes are zeroed). */
        pop(...index: Ix<P>): void
        /** Removes elements from the end until `length` are left. */
        truncate(...args: [...Ix<P>, length: number]): void
        clear(...index: Ix<P>): void
      }
    : unknown)

export type ArrayAccessor<E, P extends boolean, W extends boolean> = {
  readonly length: P extends true ? (node: number) => number : number
  values(...index: Ix<P>): Array<ValueOf<E>>
} & Elements<E, P, W>

export type SetAccessor<E, P extends boolean, W extends boolean> = {
  has(...args: [...Ix<P>, v: ElementValue<E>]): boolean
  readonly size: P extends true ? (node: number) => number : number
  /** The elements in rank order (allocates; for diagnostics). */
  values(...index: Ix<P>): Array<ValueOf<E>>
  /**
   * Does some element satisfy `pred`? Elements come as view values (enums as codes), in an order
   * that depends on the backend: a predicate must not depend on it.
   */
  some(...args: [...Ix<P>, pred: (e: ElementValue<E>) => boolean]): boolean
  /**
   * Writes the elements into `into`, each as the numbers of its fields in declaration order (a
   * scalar element as one number; enums as codes, booleans as 0 and 1), and returns how many
   * elements there are. For loops that run on every state: no callback, no allocation. The
   * order of the elements depends on the backend.
   */
  collect(...args: [...Ix<P>, into: number[]]): number
  /** Calls `fn` for each element, in an order that depends on the backend (an effect must not depend on it). */
  forEach(...args: [...Ix<P>, fn: (e: ElementValue<E>) => void]): void
} & (W extends true ? { add(...args: [...Ix<P>, v: ElementValue<E>]): void; delete(...args: [...Ix<P>, v: ElementValue<E>]): void; clear(...index: Ix<P>): void } : unknown) &
  (E extends NodeType
    ? P extends true
      ? { /** The set as a bitmask: bit id - 1 for node id. */ mask(node: number): number } & (W extends true ? { setMask(node: number, mask: number): void } : unknown)
      : W extends true
        ? { mask: number }
        : { readonly mask: number }
    : unknown)

/** An element as views take it: a scalar's view value, or a record of them. */
type ElementValue<E> = E extends RecordType<infer F> ? { readonly [K in keyof F]: ViewValue<F[K]> } : ViewValue<E>

type KeysWhere<D, P> = { [K in keyof D]: D[K] extends P ? K : never }[keyof D]
type GhostKeys<D> = KeysWhere<D, { ghost: true }>
type RealKeys<D> = KeysWhere<D, { ghost: false }>
type TypeOf<F> = F extends FieldDecl<infer T> ? T : never
type IsNode<F> = F extends { scope: "node" } ? true : false

/** The variables `K` of `D` as the root view shows them. */
type Variables<D, K extends keyof D, W extends boolean> = {
  readonly [P in K as TypeOf<D[P]> extends ScalarType ? (IsNode<D[P]> extends true ? P : never) : never]: (node: number) => ViewValue<TypeOf<D[P]>>
} & (W extends true
  ? { readonly [P in K as TypeOf<D[P]> extends ScalarType ? (IsNode<D[P]> extends true ? SetName<P> : never) : never]: (node: number, v: ViewValue<TypeOf<D[P]>>) => void }
  : unknown) &
  (W extends true
    ? { -readonly [P in K as TypeOf<D[P]> extends ScalarType ? (IsNode<D[P]> extends true ? never : P) : never]: ViewValue<TypeOf<D[P]>> }
    : { readonly [P in K as TypeOf<D[P]> extends ScalarType ? (IsNode<D[P]> extends true ? never : P) : never]: ViewValue<TypeOf<D[P]>> }) & {
    readonly [P in K as TypeOf<D[P]> extends ScalarType ? never : P]: Accessor<TypeOf<D[P]>, IsNode<D[P]>, W>
  }

interface Nodes {
  /** The number of nodes (node ids are 1..nodeCount). */
  readonly nodeCount: number
}

/** A whole state as invariants and the constraint see it: every variable, ghosts included. */
export type StateView<D> = Nodes & Variables<D, keyof D, false>
/** A state being initialised: every variable writable. */
export type InitView<D> = Nodes & Variables<D, keyof D, true>
/** The state an action reads: no ghost variable is visible. */
export type PreView<D> = Nodes & Variables<D, RealKeys<D> & keyof D, false>
/** The successor an action writes: its variables, and the ghosts under `ghost` (write only). */
export type NextView<D> = Nodes & Variables<D, RealKeys<D> & keyof D, true> & { readonly ghost: Variables<D, GhostKeys<D> & keyof D, true> }

/** A state's readable form (what `decode` returns and ITF holds): node variables as arrays by node. */
export type ReadableState<D> = {
  -readonly [K in keyof D]: D[K] extends FieldDecl<infer T, infer S> ? (S extends "node" ? Array<ValueOf<T>> : ValueOf<T>) : never
}
/** The readable form of the states of a declaration. */
export type ReadableOf<S> = S extends StateDef<infer _B, infer D> ? ReadableState<D> : never

export type Flavour = "state" | "before" | "init" | "pre" | "next"

/** One variable placed in the layout. */
export interface PlacedField {
  readonly name: string
  readonly scope: Scope
  readonly ghost: boolean
  readonly type: Type
  /** Offset within a node's block (node variables) or within the state (globals). */
  readonly offset: number
  readonly width: number
}

/** A declaration at given bounds: the layout and everything derived from it. */
export interface StateLayout<D extends Declaration = Declaration> {
  readonly nodes: number
  readonly widthBytes: number
  /** Bytes of one node's block. */
  readonly stride: number
  readonly fields: readonly PlacedField[]
  /**
   * A view of the given flavour. Views read this thread's fixed buffers: "pre" and "before" the
   * state being expanded (`src`), "state", "init" and "next" the successor (`next`); copy a state
   * into the buffer before reading one that is elsewhere.
   */
  view(flavour: "state" | "before"): StateView<D>
  view(flavour: "init"): InitView<D>
  view(flavour: "pre"): PreView<D>
  view(flavour: "next"): NextView<D>
  /** This thread's buffers, cut to the state's width: the search expands `src` and builds successors in `next`. */
  readonly src: Uint8Array
  readonly next: Uint8Array
  /** The readable state: each variable by name, node variables as arrays by node (node 1 first). */
  decode(bytes: Uint8Array): Record<string, unknown>
  /**
   * One variable of the readable state, as `decode` gives it; for a node variable with `node`
   * (1-based), that node's value alone. Undefined for a name that is no variable.
   */
  decodeVariable(bytes: Uint8Array, name: string, node?: number): unknown
  /** Packs a readable state into zeroed bytes; throws a RangeError naming the first variable that does not fit. */
  encode(state: Record<string, unknown>, into: Uint8Array): void
  /** Whether the kit can canonicalise states under node permutations (see symmetry.ts). */
  readonly symmetric: boolean
  /** Why not, when it cannot. */
  readonly symmetryProblem: string | null
  /** Writes the canonical member of `src`'s orbit under node permutations into `dst`. */
  canonicalize(src: Uint8Array, dst: Uint8Array): void
}

/**
 * A state declaration: a function of the bounds (sizes may depend on them), and the typed
 * starting points of the actions and invariants written against it.
 */
export interface StateDef<B, D extends Declaration> {
  readonly declare: (bounds: B) => D
  /** Lays the state out for these bounds and `nodes` nodes. */
  layout(bounds: B, nodes: number): StateLayout<D>
  /** Starts an action over this state (see action.ts). */
  action(name: string): ActionBuilder<PreView<D>, NextView<D>, {}>
  /** A state invariant over this state. */
  invariant(name: string, description: string, holds: (s: StateView<D>) => boolean, witness?: (s: StateView<D>) => string): InvariantDecl<StateView<D>>
  /** A step invariant over this state: `before` and `after` are the states around one step. */
  stepInvariant(
    name: string,
    description: string,
    holds: (before: StateView<D>, after: StateView<D>) => boolean,
    witness?: (before: StateView<D>, after: StateView<D>) => string
  ): StepInvariantDecl<StateView<D>>
  /** `P ~> Q`: every state where P holds is followed, on every fair behavior, by one where Q holds. */
  leadsTo(name: string, description: string, p: (s: StateView<D>) => boolean, q: (s: StateView<D>) => boolean): TemporalDecl<StateView<D>>
  /** `\A i \in nodes : P(i) ~> Q(i)`. */
  leadsToEach(name: string, description: string, p: (s: StateView<D>, i: number) => boolean, q: (s: StateView<D>, i: number) => boolean): TemporalDecl<StateView<D>>
  /** `<>Q`: every fair behavior reaches a state where Q holds. */
  eventually(name: string, description: string, q: (s: StateView<D>) => boolean): TemporalDecl<StateView<D>>
}

/** Declares a protocol's state variables once, as a function of the bounds. */
export function defineState<B, D extends Declaration>(declare: (bounds: B) => D): StateDef<B, D> {
  return {
    declare,
    layout: (bounds, nodes) => layoutOf(declare(bounds), nodes),
    action: (name) => new ActionBuilder<PreView<D>, NextView<D>, {}>(name),
    invariant: (name, description, holds, witness) => invariant(name, description, holds, witness),
    stepInvariant: (name, description, holds, witness) => stepInvariant(name, description, holds, witness),
    leadsTo: (name, description, p, q) => leadsTo(name, description, p, q),
    leadsToEach: (name, description, p, q) => leadsToEach(name, description, p, q),
    eventually: (name, description, q) => eventually(name, description, q)
  }
}

function shapeOf(decl: Declaration): string {
  // The class cache key: names, scopes, ghost marks and the types' shapes (never a bound).
  return JSON.stringify(Object.entries(decl).map(([k, f]) => [k, f.scope, f.ghost, typeShape(f.type)]))
}
function typeShape(t: Type): unknown {
  switch (t.kind) {
    case "enum":
      return ["e", t.names]
    case "record":
      return ["r", Object.entries(t.fields).map(([k, f]) => [k, typeShape(f)])]
    case "seq":
    case "set":
    case "array":
      return [t.kind, typeShape(t.elem)]
    case "node":
      return t.optional ? "node?" : "node"
    default:
      return t.kind
  }
}

/** Names the views themselves use. */
const RESERVED = new Set(["nodeCount", "ghost", "nodes", "gr", "ctx", "S", "o", "t"])

/** Per flavour: the write class or the read class, the buffer it reads, and whether ghosts may be read. */
const FLAVOURS: Readonly<Record<Flavour, { readonly write: boolean; readonly buffer: BufferName; readonly ghostReads: boolean }>> = {
  pre: { write: false, buffer: "SRC", ghostReads: false },
  before: { write: false, buffer: "SRC", ghostReads: true },
  state: { write: false, buffer: "NEXT", ghostReads: true },
  init: { write: true, buffer: "NEXT", ghostReads: true },
  next: { write: true, buffer: "NEXT", ghostReads: false }
}

function layoutOf<D extends Declaration>(decl: D, nodes: number): StateLayout<D> {
  const ctx: TypeContext = { nodes }
  const entries = Object.entries(decl)
  for (const [name, f] of entries) {
    if (RESERVED.has(name) || /^[$]|^[vm][$]/.test(name)) throw new RangeError(`${name}: the name is reserved for the views (${[...RESERVED].join(", ")})`)
    checkType(f.type, ctx, name)
  }
  const placed: PlacedField[] = []
  let stride = 0
  for (const [name, f] of entries) {
    if (f.scope !== "node") continue
    const width = widthOf(f.type, ctx)
    placed.push({ name, scope: "node", ghost: f.ghost, type: f.type, offset: stride, width })
    stride += width
  }
  let end = nodes * stride
  for (const [name, f] of entries) {
    if (f.scope !== "global") continue
    const width = widthOf(f.type, ctx)
    placed.push({ name, scope: "global", ghost: f.ghost, type: f.type, offset: end, width })
    end += width
  }
  const widthBytes = Math.max(4, Math.ceil(end / 4) * 4)
  const ordered = entries.map(([name]) => placed.find((p) => p.name === name)!)
  const byName = new Map(placed.map((p) => [p.name, p]))
  if (widthBytes > MAX_STATE_BYTES) throw new RangeError(`the state takes ${widthBytes} bytes at these bounds, more than the ${MAX_STATE_BYTES} the kit supports`)
  const shape = shapeOf(decl)

  function view(flavour: Flavour): unknown {
    const { write, buffer, ghostReads } = FLAVOURS[flavour]
    const Root = rootClass(placed, write, buffer, shape)
    const root = new Root({ stride, nodes, ctx, gr: ghostReads, fields: placed })
    Object.defineProperty(root, STORAGE, { value: packedStorage(buffer === "SRC" ? SRC : NEXT, stride, placed) })
    return root
  }

  const symmetry = symmetryOf({ nodes, stride, widthBytes, fields: placed }, ctx)
  return {
    nodes,
    widthBytes,
    stride,
    fields: ordered,
    view: view as StateLayout<D>["view"],
    src: SRC.subarray(0, widthBytes),
    next: NEXT.subarray(0, widthBytes),
    decode(bytes) {
      const out: Record<string, unknown> = {}
      for (const f of ordered) {
        out[f.name] =
          f.scope === "node"
            ? Array.from({ length: nodes }, (_, k) => decodeValue(f.type, bytes, k * stride + f.offset, ctx))
            : decodeValue(f.type, bytes, f.offset, ctx)
      }
      return out
    },
    decodeVariable(bytes, name, node) {
      const f = byName.get(name)
      if (f === undefined) return undefined
      if (f.scope !== "node") return decodeValue(f.type, bytes, f.offset, ctx)
      if (node !== undefined) return Number.isInteger(node) && node >= 1 && node <= nodes ? decodeValue(f.type, bytes, (node - 1) * stride + f.offset, ctx) : undefined
      return Array.from({ length: nodes }, (_, k) => decodeValue(f.type, bytes, k * stride + f.offset, ctx))
    },
    encode(state, into) {
      for (const f of ordered) {
        if (!(f.name in state)) throw new RangeError(`${f.name}: missing`)
        const v = state[f.name]
        if (f.scope === "global") {
          encodeValue(f.type, v, into, f.offset, ctx, f.name)
          continue
        }
        if (!Array.isArray(v) || v.length !== nodes) throw new RangeError(`${f.name}: expected a value for each of the ${nodes} nodes`)
        v.forEach((x, k) => encodeValue(f.type, x, into, k * stride + f.offset, ctx, `${f.name}[${k + 1}]`))
      }
    },
    symmetric: symmetry.unsupported === null,
    symmetryProblem: symmetry.unsupported,
    canonicalize: symmetry.canonicalize
  }
}

