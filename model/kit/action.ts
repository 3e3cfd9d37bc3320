/**
 * Actions, written the way TLA+ writes them: a chain of existential choices, guards and local
 * definitions, then the effect.
 *
 *   action("AppendOplog")
 *     .exists("i", nodes)
 *     .require((s, a) => s.node(a.i).state !== "Leader", "leader", "server {i} is a leader")
 *     .exists("j", nodes)
 *     .require((s, a) => canSyncFrom(s, a.i, a.j), "cannot-sync", "server {i} cannot sync from server {j}")
 *     .exists("lastAppended", between((s, a) => len(s, a.i) + 1, (s, a) => len(s, a.j)))
 *     .then((t, a, s) => { ... })
 *
 * Every choice of every `exists` that passes every guard is one successor, emitted in the order
 * of the chain's loops (TLC counts each witness of `\E` as its own successor). A guard is written
 * once, with a stable code and a message; the search only evaluates its predicate. To explain
 * why an action is not enabled, the same chain runs again with a recorder that keeps the guard
 * that failed deepest in the chain (the choice that got furthest), the way TLC explains a
 * failure by rerunning the next-state relation instrumented.
 */
import type { ActionFamily, Successors } from "../engine/model.js"
import type { ValueHolder, ValueState } from "./values.js"

/**
 * A guard's message: a text with `{name}` for the arguments so far, or a function of the state,
 * the arguments and the names of the arguments the caller fixed (the rest were enumerated, so a
 * message can tell "these voters are no quorum" from "no quorum would vote").
 */
export type Message<S, A> = string | ((s: S, a: A, given: ReadonlySet<string>) => string)

/** Where the values of an `exists` come from. Every value is an integer (node sets as bitmasks). */
export type Domain<S, A> =
  | { readonly kind: "nodes" }
  | { readonly kind: "nodeSets" }
  | { readonly kind: "between"; readonly lo: number | ((s: S, a: A) => number); readonly hi: number | ((s: S, a: A) => number) }
  | { readonly kind: "subsetsOf"; readonly mask: number | ((s: S, a: A) => number) }

/** Every node id, 1..n. */
export const nodes = { kind: "nodes" } as const
/** Every set of node ids, as bitmasks 0 .. 2^n - 1 (bit id - 1), in ascending order. */
export const nodeSets = { kind: "nodeSets" } as const
/** The integers lo..hi (none when hi < lo); either bound may depend on the state and the arguments so far. */
export const between = <S, A>(lo: number | ((s: S, a: A) => number), hi: number | ((s: S, a: A) => number)): Domain<S, A> => ({ kind: "between", lo, hi })
/** Every subset of a set of nodes (a bitmask, possibly computed), ascending. */
export const subsetsOf = <S, A>(mask: number | ((s: S, a: A) => number)): Domain<S, A> => ({ kind: "subsetsOf", mask })

type Level<S, A> =
  | { readonly kind: "exists"; readonly name: string; readonly domain: Domain<S, A>; readonly empty?: Reason<S, A> }
  | { readonly kind: "let"; readonly name: string; readonly fn: (s: S, a: A) => unknown }
  | { readonly kind: "require"; readonly pred: (s: S, a: A) => boolean; readonly code: string; readonly message: Message<S, A> }

interface Reason<S, A> {
  readonly code: string
  readonly message: Message<S, A>
}

/** A finished action: its name, its parameters (in the order traces show them) and its chain. */
export interface Action<S = any, N = any> {
  readonly name: string
  readonly params: readonly string[]
  readonly levels: ReadonlyArray<Level<S, any>>
  readonly effect: (t: N, a: any, s: S) => void
}

/** Why an action is not enabled: the guard's code and its message. */
export interface Explanation {
  readonly code: string
  readonly message: string
}

/** Builds an action one clause at a time; each call returns a new builder (prefixes can be shared). */
export class ActionBuilder<S, N, A> {
  constructor(
    readonly name: string,
    private readonly levels: ReadonlyArray<Level<S, any>> = [],
    private readonly order?: readonly string[]
  ) {}

  /**
   * `\E name \in domain`: one successor per value. `empty` is the reason reported when the domain
   * has no value (default: "no value of name is possible").
   */
  exists<K extends string>(name: K, domain: Domain<S, A>, empty?: [code: string, message: Message<S, A>]): ActionBuilder<S, N, A & { readonly [P in K]: number }> {
    const level: Level<S, A> = { kind: "exists", name, domain, ...(empty ? { empty: { code: empty[0], message: empty[1] } } : {}) }
    return new ActionBuilder(this.name, [...this.levels, level], this.order)
  }

  /** `LET name == fn`: a value computed once per choice so far, for the clauses after it. */
  let<K extends string, V>(name: K, fn: (s: S, a: A) => V): ActionBuilder<S, N, A & { readonly [P in K]: V }> {
    return new ActionBuilder(this.name, [...this.levels, { kind: "let", name, fn }], this.order)
  }

  /** A guard: the choices so far go on only where `pred` holds; otherwise `code` and `message` say why not. */
  require(pred: (s: S, a: A) => boolean, code: string, message: Message<S, A>): ActionBuilder<S, N, A> {
    return new ActionBuilder(this.name, [...this.levels, { kind: "require", pred, code, message }], this.order)
  }

  /** The order in which traces show the parameters, when it is not the order of the choices. */
  showArgs(...names: Array<keyof A & string>): ActionBuilder<S, N, A> {
    return new ActionBuilder(this.name, this.levels, names)
  }

  /** The effect: edit the successor `t` (a copy of `s`, the state before the step). */
  then(effect: (t: N, a: A, s: S) => void): Action<S, N> {
    const chosen = this.levels.flatMap((l) => (l.kind === "exists" ? [l.name] : []))
    const params = this.order ?? chosen
    if (new Set(chosen).size !== chosen.length) throw new RangeError(`${this.name}: two choices have the same name`)
    if (this.order && (this.order.length !== chosen.length || !chosen.every((c) => this.order!.includes(c)))) {
      throw new RangeError(`${this.name}: showArgs must name each choice once (${chosen.join(", ")})`)
    }
    if (params.length > 4) throw new RangeError(`${this.name}: at most 4 choices (parameters) per action, not ${params.length}`)
    return { name: this.name, params, levels: this.levels, effect: effect as Action<S, N>["effect"] }
  }
}

/** Starts an action. */
export function action<S = any, N = any>(name: string): ActionBuilder<S, N, {}> {
  return new ActionBuilder<S, N, {}>(name)
}

/** What an action is compiled against: the views the search binds, and the node count. */
export interface ActionContext {
  readonly nodes: number
  /** The pre-state view (read-only, no ghosts) and the successor view. */
  readonly pre: unknown
  readonly next: unknown
  /** The buffers those views read, cut to the state's width (see views.ts). */
  readonly src: Uint8Array
  readonly dst: Uint8Array
}

const paramKind = (d: Domain<unknown, unknown>): "node" | "nodeSet" | "int" => (d.kind === "nodes" ? "node" : d.kind === "between" ? "int" : "nodeSet")

function idsOf(mask: number): number[] {
  const ids: number[] = []
  for (let k = 0; k < 32; k++) if (mask & (1 << k)) ids.push(k + 1)
  return ids
}

/** Renders an argument for messages: node sets as {1, 2}. */
function show(kind: "node" | "nodeSet" | "int" | "value", v: unknown): string {
  if (kind === "nodeSet") return `{${idsOf(v as number).join(", ")}}`
  return typeof v === "object" ? JSON.stringify(v) : String(v)
}

/** How a loop nest runs: every choice (the search), only given arguments where given (validation), or explaining. */
type NestMode = "all" | "fixed" | "explain"

/**
 * The loop nest of an action's chain, as source over the constants `compileAction` sets up. In
 * "fixed" and "explain" modes an argument in `F` fixes its loop to that value (none when it is out
 * of the domain); "explain" also records the guard that failed deepest and returns at the first
 * instance. `leaf` runs once per instance.
 */
function nestSource(levels: ReadonlyArray<Level<unknown, unknown>>, mode: NestMode, leaf: string): string {
  const explain = mode === "explain"
  const fixed = mode !== "all"
  const acc = (name: string) => `a[${JSON.stringify(name)}]`
  const dyn = (v: unknown) => typeof v === "function"
  const out: string[] = []
  const close: string[] = []
  levels.forEach((l, k) => {
    if (l.kind === "let") {
      out.push(`${acc(l.name)} = L${k}(P, a)`)
      return
    }
    if (l.kind === "require") {
      out.push(`if (R${k}(P, a)) {`)
      close.push(explain ? `} else REC(${k})` : "}")
      return
    }
    const v = `v${k}`
    const d = l.domain
    const lo = d.kind === "between" ? (dyn(d.lo) ? `LO${k}(P, a)` : `LO${k}`) : d.kind === "nodes" ? "1" : "0"
    const hi = d.kind === "between" ? (dyn(d.hi) ? `HI${k}(P, a)` : `HI${k}`) : d.kind === "nodes" ? "NODES" : "ALL"
    const mask = d.kind === "subsetsOf" ? (dyn(d.mask) ? `(M${k}(P, a) & ALL)` : `(M${k} & ALL)`) : ""
    out.push(`{ const lo${k} = ${lo}, hi${k} = ${hi}${mask ? `, m${k} = ${mask}` : ""}`)
    if (fixed) {
      const inDomain = mask ? `(f${k} & ~m${k}) === 0 && f${k} >= 0` : `f${k} >= lo${k} && f${k} <= hi${k}`
      out.push(`const f${k} = F[${JSON.stringify(l.name)}]`)
      out.push(`if (f${k} !== undefined && !(${inDomain})) ${explain ? `OUT(${k}, f${k});` : "{}"} else {`)
      out.push(`let n${k} = 0`)
      // With a fixed argument the loop runs once, at that value.
      if (mask) out.push(`for (let ${v} = f${k} ?? 0, go = true; go; go = f${k} === undefined && ${v} !== m${k}, ${v} = (${v} - m${k}) & m${k}) { n${k}++`)
      else out.push(`for (let ${v} = f${k} ?? lo${k}; ${v} <= (f${k} ?? hi${k}); ${v}++) { n${k}++`)
      close.push(explain ? `} if (n${k} === 0) EMPTY(${k}) } }` : "} } }")
    } else {
      if (mask) out.push(`for (let ${v} = 0, go = true; go; go = ${v} !== m${k}, ${v} = (${v} - m${k}) & m${k}) {`)
      else out.push(`for (let ${v} = lo${k}; ${v} <= hi${k}; ${v}++) {`)
      close.push("} }")
    }
    out.push(`${acc(l.name)} = ${v}`)
  })
  out.push(leaf)
  return [...out, ...close.reverse()].join("\n")
}

/** What compiling an action for either backend shares: the constants of its code and its explanations. */
interface Compiled {
  readonly kinds: ReadonlyMap<string, "node" | "nodeSet" | "int" | "value">
  readonly paramKinds: Array<"node" | "nodeSet" | "int">
  /** Runs generated source with the action's constants (and `extra`) in scope. */
  readonly factory: (source: string, extra: Record<string, unknown>) => any
  /** The arguments of an instance, in `act.params` order, as source. */
  readonly emitArgs: string
  /** `explain` of an engine family, given how the generated explainer loads a state (`load`). */
  readonly explain: (load: string) => (state: any, given: Readonly<Record<string, unknown>>) => Explanation | null
  readonly describe: (values: readonly number[]) => Record<string, unknown>
}

function compileParts(act: Action, nodes: number, pre: unknown, constants: Record<string, unknown>): Compiled {
  const levels = act.levels
  const kinds = new Map<string, "node" | "nodeSet" | "int" | "value">()
  for (const l of levels) if (l.kind !== "require") kinds.set(l.name, l.kind === "exists" ? paramKind(l.domain) : "value")
  const deps: Record<string, unknown> = { ...constants, P: pre, EFF: act.effect, NODES: nodes, ALL: nodes >= 31 ? 0x7fffffff : (1 << nodes) - 1 }
  const args: Record<string, unknown> = {}
  for (const l of levels) if (l.kind !== "require") args[l.name] = 0
  deps["a"] = args
  levels.forEach((l, k) => {
    if (l.kind === "require") deps[`R${k}`] = l.pred
    else if (l.kind === "let") deps[`L${k}`] = l.fn
    else if (l.domain.kind === "between") {
      deps[`LO${k}`] = l.domain.lo
      deps[`HI${k}`] = l.domain.hi
    } else if (l.domain.kind === "subsetsOf") deps[`M${k}`] = l.domain.mask
  })
  const emitArgs = act.params.map((name) => `a[${JSON.stringify(name)}]`).join(", ")
  const factory = (source: string, extra: Record<string, unknown>) => {
    const all = { ...deps, ...extra }
    // Every dependency is a `const` of the factory, so that the optimiser may treat it as a constant.
    const names = Object.keys(all)
    return new Function("deps", `"use strict";\n${names.map((n) => `const ${n} = deps.${n};`).join("\n")}\n${source}`)(all)
  }

  // Explanations: the deepest failure wins; ties go to the first found.
  let best: { depth: number; code: string; message: string } | null = null
  let givenNames: ReadonlySet<string> = new Set()
  const format = (m: Message<unknown, unknown>, s: unknown): string =>
    typeof m === "function" ? m(s, { ...args }, givenNames) : m.replace(/\{(\w+)\}/g, (whole, name: string) => (kinds.has(name) ? show(kinds.get(name)!, args[name]) : whole))
  const note = (depth: number, code: string, message: () => string) => {
    if (best === null || depth > best.depth) best = { depth, code, message: message() }
  }
  const explain = (load: string) => {
    // Compiled on first use: only diagnostics explain, and compiling it for every action of every
    // build would double the code each build generates (list and validate build at start-up).
    let explainFn: ((s: unknown, fixed: Record<string, number | undefined>) => boolean) | undefined
    const compileExplain = () =>
      factory(`return function explain(src, F) {\n${load}\n${nestSource(levels, "explain", "return true")}\nreturn false\n}`, {
        REC: (k: number) => {
          const l = levels[k] as Extract<Level<unknown, unknown>, { kind: "require" }>
          note(k, l.code, () => format(l.message, pre))
        },
        EMPTY: (k: number) => {
          const l = levels[k] as Extract<Level<unknown, unknown>, { kind: "exists" }>
          note(k, l.empty?.code ?? "no-choice", () => (l.empty ? format(l.empty.message, pre) : `no value of ${l.name} is possible`))
        },
        OUT: (k: number, v: number) => {
          const l = levels[k] as Extract<Level<unknown, unknown>, { kind: "exists" }>
          note(k, "not-a-choice", () => `${l.name} = ${show(paramKind(l.domain), v)} is not among its possible values here`)
        }
      }) as (s: unknown, fixed: Record<string, number | undefined>) => boolean
    return (state: unknown, given: Readonly<Record<string, unknown>>): Explanation | null => {
      const fixed = fixedArguments(kinds, given)
      best = null
      givenNames = new Set(Object.keys(fixed))
      for (const l of levels) if (l.kind !== "require") args[l.name] = 0
      explainFn ??= compileExplain()
      const enabled = explainFn(state, fixed)
      const found = best as { code: string; message: string } | null
      best = null
      if (enabled) return null
      return found ? { code: found.code, message: found.message } : { code: "no-choice", message: `${act.name} has no instance` }
    }
  }
  const paramKinds = act.params.map((p) => kinds.get(p)!) as Array<"node" | "nodeSet" | "int">
  return {
    kinds,
    paramKinds,
    factory,
    emitArgs,
    explain,
    describe: (values) => Object.fromEntries(act.params.map((p, k) => [p, paramKinds[k] === "nodeSet" ? new Set(idsOf(values[k]!)) : values[k]]))
  }
}

/**
 * Arguments given by name (a trace's: node ids, integers, node sets as arrays or Sets) as the
 * numbers the loops take; a value that cannot be one (a node set with an id outside 1..31, a
 * non-integer) becomes one no loop accepts. Names that are no choice of the action are left out.
 */
export function fixedArguments(kinds: ReadonlyMap<string, "node" | "nodeSet" | "int" | "value">, given: Readonly<Record<string, unknown>>): Record<string, number | undefined> {
  const fixed: Record<string, number | undefined> = {}
  for (const [name, value] of Object.entries(given)) {
    const kind = kinds.get(name)
    if (kind === undefined || kind === "value") continue
    if (kind === "nodeSet") {
      const ids = Array.isArray(value) ? value : value instanceof Set ? [...value] : null
      fixed[name] = ids && ids.every((x) => Number.isInteger(x) && x >= 1 && x <= 31) ? ids.reduce((m: number, x: number) => m | (1 << (x - 1)), 0) : -1
    } else fixed[name] = Number.isInteger(value) ? (value as number) : Number.NaN
  }
  return fixed
}

/**
 * Compiles an action into an engine action family for one build. Why generated code: each
 * action gets its own loop nest, so every call to a guard, a domain or the effect has exactly one
 * target and V8 inlines it, with the views as constants (their offsets fold into the loads); the
 * arguments are one preallocated object with fixed properties. A shared interpreter of the chain
 * would call every action's guards from the same sites, which V8 cannot inline.
 */
export function compileAction(act: Action, ctx: ActionContext): ActionFamily {
  const parts = compileParts(act, ctx.nodes, ctx.pre, { N: ctx.next, SRC: ctx.src, DST: ctx.dst })
  // The search hands over its own buffers (DST is its scratch copy); anyone else gets a copy.
  const leaf = `const t = out.next(); if (t !== DST) DST.set(SRC); EFF(N, a, P); if (t !== DST) t.set(DST); out.emit(${parts.emitArgs})`
  const expand = parts.factory(`return function expand_${act.name.replace(/\W/g, "_")}(src, out) {\nif (src !== SRC) SRC.set(src)\n${nestSource(act.levels, "all", leaf)}\n}`, {}) as (
    s: Uint8Array,
    out: Successors
  ) => void
  return {
    name: act.name,
    params: act.params,
    paramKinds: parts.paramKinds,
    expand,
    describe: parts.describe,
    explain: parts.explain("if (src !== SRC) SRC.set(src)")
  }
}

/** What an action is compiled against on the value backend (values.ts). */
export interface ValueActionContext {
  readonly nodes: number
  readonly pre: unknown
  readonly next: unknown
  readonly holder: ValueHolder
}

/** An action of the value backend: the instances with the given arguments, and why there is none. */
export interface ValueFamily {
  readonly name: string
  readonly params: readonly string[]
  readonly paramKinds: ReadonlyArray<"node" | "nodeSet" | "int">
  /**
   * Calls `emit` with each successor of `state` by this action whose arguments are those in
   * `given` (by name; others enumerated) and the numbers of its arguments, in the order of the
   * chain (the packed family's order). Instances are built one after the other, so `emit` must
   * not run another action or invariant of the model.
   */
  expand(state: ValueState, given: Readonly<Record<string, unknown>>, emit: (next: ValueState, args: readonly number[]) => void): void
  describe(values: readonly number[]): Record<string, unknown>
  explain(state: ValueState, given: Readonly<Record<string, unknown>>): Explanation | null
}

/** Compiles an action for the value backend: the same chain and effect, over value views. */
export function compileValueAction(act: Action, ctx: ValueActionContext): ValueFamily {
  const h = ctx.holder
  const start = () => {
    h.next = h.src.slice()
    h.owned.fill(0)
  }
  const parts = compileParts(act, ctx.nodes, ctx.pre, { N: ctx.next, HOLD: h, START: start })
  const leaf = `START(); EFF(N, a, P); out(HOLD.next, [${parts.emitArgs}])`
  const expandFixed = parts.factory(`return function expand_${act.name.replace(/\W/g, "_")}(src, F, out) {\nHOLD.src = src\n${nestSource(act.levels, "fixed", leaf)}\n}`, {}) as (
    s: ValueState,
    fixed: Record<string, number | undefined>,
    out: (next: ValueState, args: readonly number[]) => void
  ) => void
  return {
    name: act.name,
    params: act.params,
    paramKinds: parts.paramKinds,
    expand: (state, given, emit) => expandFixed(state, fixedArguments(parts.kinds, given), emit),
    describe: parts.describe,
    explain: parts.explain("HOLD.src = src")
  }
}
