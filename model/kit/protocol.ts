/**
 * `defineProtocol`: one call declares a protocol (bounds, state, rules, actions, invariants,
 * variants, symmetry, trace mapping and manifest); the result builds the engine's model for any
 * bounds and variant. The registry, the CLI, the worker threads and the tests all work from
 * what this returns, so a protocol is written down in exactly one place.
 *
 * A variant is a named design change expressed as a diff of the base: it may replace rules (the
 * guards and choices a design change is likely to touch), edit the action list (split one step
 * into two, add one, drop one) and, when a split needs it, use another state declaration.
 */
import type { FairnessDecl, TemporalDecl } from "./temporal.js"
import type { BoundSpec } from "../engine/config.js"
import type { ActionFamily, Fairness, Model, StateInvariant, StepInvariant, TemporalProperty } from "../engine/model.js"
import { compileAction, compileValueAction, type Action, type Message, type ValueFamily } from "./action.js"
import { equalStates, fromReadable, hashState, memoizedHolds, sameAsReadable, placeValueFields, readableProblem, readableValue, valueRoot, zeroState, type ValueField, type ValueHolder, type ValueState } from "./values.js"
import type { AnyInvariant } from "./invariant.js"
import type { Declaration, InitView, StateDef, StateLayout, StateView } from "./state.js"

export const BASE_VARIANT = "base"

/**
 * How an implementation's trace events relate to the model. By default an event names a model
 * action (whose first parameter is the event's node). `events` maps other event names to the
 * sequence of model actions they stand for: several (one event for several steps) or none (an
 * event that only observes). `internal` lists actions an implementation may take without logging
 * them; the validator searches for them.
 */
export interface TraceMapping {
  readonly internal: readonly string[]
  readonly events?: Readonly<Record<string, readonly string[]>>
}

/** A named design change: a diff of the base model. */
export interface VariantDecl<B, R> {
  readonly name: string
  readonly summary: string
  /** Replaces rules of the base (guards and choices the actions read). */
  readonly rules?: (rules: R, bounds: B) => R
  /** Edits the action list: replace, split, add or drop steps (see `replaceAction`). */
  readonly actions?: (actions: readonly Action[], bounds: B, rules: R) => readonly Action[]
  /** Another state declaration, for a change that needs a variable or a value the base lacks. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a variant may declare any state
  readonly state?: StateDef<B, any>
}

/** The values of a protocol's bounds, by name. */
export type BoundsOf<BS> = { readonly [K in keyof BS]: number }

export interface ProtocolSpec<BS extends Record<string, BoundSpec>, D extends Declaration, R, B = BoundsOf<BS>> {
  readonly name: string
  readonly summary: string
  /** The bounds: integer parameters with defaults and ranges (`--kebab-case` flags on the CLI). */
  readonly bounds: BS
  /** How many nodes there are (node ids 1..n); needed when the state has node variables. */
  readonly nodes?: (bounds: B) => number
  readonly state: StateDef<B, D>
  /** Named guards and choices the variants may replace. */
  readonly rules?: R
  /** The actions, in the order their successors are generated (it fixes trace ordinals). */
  readonly actions: (bounds: B, rules: R) => readonly Action[]
  /** Writes the initial state into a zeroed one (default: every variable zero: 0, false, the first name). */
  readonly init?: (s: InitView<D>, bounds: B) => void
  /** The state constraint: successors outside it are checked but not explored (TLC's CONSTRAINT). */
  readonly constraint?: (s: StateView<D>, bounds: B) => boolean
  /** The invariants; they may read the rules (a variant's own classifier, say). */
  readonly invariants?: (bounds: B, rules: R) => ReadonlyArray<AnyInvariant<StateView<D>>>
  /** Temporal properties (`check --liveness`); they may read the rules. */
  readonly liveness?: (bounds: B, rules: R) => ReadonlyArray<TemporalDecl<StateView<D>>>
  /**
   * The fairness the temporal properties are checked under (default none); a variant changes it
   * through its rules, and `actions` (this model's action names) lets it leave out one a variant dropped.
   */
  readonly fairness?: (bounds: B, rules: R, actions: readonly string[]) => FairnessDecl
  /** A one-line summary of the base model. */
  readonly base?: string
  readonly variants?: ReadonlyArray<VariantDecl<B, R>>
  /** Offer `--symmetry` (node ids interchangeable). Needs a state where no variable holds a node id. */
  readonly symmetry?: boolean
  readonly traceMapping?: TraceMapping
  /**
   * Recorded expectations (see the README's manifest format), checked by `replcheck verdicts`:
   * the manifest itself, or a function that loads it (e.g. `() => import("./manifest.json", ...)`,
   * so that worker threads, which never read it, do not load it either).
   */
  readonly manifest?: object | (() => Promise<unknown>)
}

/** A model built by the kit: the engine's model plus its layout (for ITF schemas and diagnostics). */
export interface KitModel extends Model<Record<string, unknown>> {
  readonly layout: StateLayout
  readonly config: Readonly<Record<string, number>>
}

/** A model on the value backend: what trace validation needs of it. */
export interface ValueModel {
  readonly protocol: string
  readonly variant: string
  readonly config: Readonly<Record<string, number>>
  readonly nodeCount: number
  readonly fields: readonly ValueField[]
  readonly families: readonly ValueFamily[]
  readonly stateInvariants: ReadonlyArray<{ readonly name: string; holds(s: ValueState): boolean; readonly witness?: (s: ValueState) => string }>
  readonly stepInvariants: ReadonlyArray<{ readonly name: string; holds(a: ValueState, b: ValueState): boolean; readonly witness?: (a: ValueState, b: ValueState) => string }>
  initialState(): ValueState
  /** The readable state, as the packed model's `decode` gives it. */
  decode(s: ValueState): Record<string, unknown>
  /** One variable (for a node variable with `node`, that node's value), readable; undefined for no variable. */
  decodeVariable(s: ValueState, name: string, node?: number): unknown
  /** A readable state as a value state; a RangeError names the first value that is not one. */
  encode(readable: Readonly<Record<string, unknown>>): ValueState
  /**
   * Does a readable value of a variable (one node's, with `node`) equal its value in `s`? As
   * comparing `decodeVariable` with it, without decoding. False for a name that is no variable.
   */
  sameVariable(s: ValueState, name: string, node: number | undefined, observed: unknown): boolean
  /** Why a readable value of a variable (of one node's, with `node`) is no value of its type; null when it is one. */
  problem(name: string, value: unknown, node?: number): string | null
  /** A 32-bit hash of a state: equal states hash alike. */
  hash(s: ValueState): number
  equal(a: ValueState, b: ValueState): boolean
}

/** What `defineProtocol` returns and the registry holds. */
export interface Protocol {
  readonly name: string
  readonly summary: string
  readonly bounds: Readonly<Record<string, BoundSpec>>
  readonly defaults: Readonly<Record<string, number>>
  /** The base model first ("base"), then every named variant. */
  readonly variants: ReadonlyArray<{ readonly name: string; readonly summary: string }>
  readonly symmetric: boolean
  readonly traceMapping?: TraceMapping
  readonly manifest?: object | (() => Promise<unknown>)
  /** The module the protocol was loaded from, when it is not built in (worker threads load it too). */
  readonly source?: string
  /** Builds the model for full bounds (every bound given) and a variant; throws a RangeError on bad input. */
  build(config: Readonly<Record<string, number>>, variant?: string, options?: { readonly symmetry?: boolean }): KitModel
  /** The same model on the value backend, for validation: no bound on terms, lengths or sizes (see values.ts). */
  buildValues(config: Readonly<Record<string, number>>, variant?: string): ValueModel
  /** A protocol loaded from `source`. */
  withSource(source: string): Protocol
}

/** Declares a protocol. */
export function defineProtocol<const BS extends Record<string, BoundSpec>, D extends Declaration, R = undefined>(spec: ProtocolSpec<BS, D, R>): Protocol {
  const defaults = Object.fromEntries(Object.entries(spec.bounds).map(([k, b]) => [k, b.default]))
  const variants = spec.variants ?? []
  const names = new Set<string>([BASE_VARIANT])
  for (const v of variants) {
    if (names.has(v.name)) throw new RangeError(`${spec.name}: variant ${v.name} is declared twice (or is named base)`)
    names.add(v.name)
  }
  const make = (source?: string): Protocol => ({
    name: spec.name,
    summary: spec.summary,
    bounds: spec.bounds,
    defaults,
    variants: [{ name: BASE_VARIANT, summary: spec.base ?? "the base model" }, ...variants.map(({ name, summary }) => ({ name, summary }))],
    symmetric: spec.symmetry === true,
    ...(spec.traceMapping ? { traceMapping: spec.traceMapping } : {}),
    ...(spec.manifest !== undefined ? { manifest: spec.manifest } : {}),
    ...(source !== undefined ? { source } : {}),
    build: (config, variant = BASE_VARIANT, options = {}) => buildModel(spec, config as BoundsOf<BS>, variant, options.symmetry === true),
    buildValues: (config, variant = BASE_VARIANT) => buildValueModel(spec, config as BoundsOf<BS>, variant),
    withSource: (s) => make(s)
  })
  return make()
}

/** What both backends build from: the variant's rules, state declaration and actions, and the invariants. */
function resolve<BS extends Record<string, BoundSpec>, D extends Declaration, R, B extends BoundsOf<BS>>(spec: ProtocolSpec<BS, D, R, B>, config: B, variantName: string) {
  const variant = variantName === BASE_VARIANT ? undefined : spec.variants?.find((v) => v.name === variantName)
  if (variantName !== BASE_VARIANT && variant === undefined) {
    throw new RangeError(`${spec.name} has no variant ${variantName} (variants: ${[BASE_VARIANT, ...(spec.variants ?? []).map((v) => v.name)].join(", ")})`)
  }
  for (const name of Object.keys(spec.bounds)) {
    if (!Number.isInteger((config as Record<string, number>)[name])) throw new RangeError(`${spec.name}: bound ${name} is missing`)
  }
  const rules = (variant?.rules ? variant.rules(spec.rules as R, config) : spec.rules) as R
  const stateDef = (variant?.state ?? spec.state) as StateDef<B, D>
  const declared = stateDef.declare(config)
  const hasNodeVariables = Object.values(declared).some((f) => f.scope === "node")
  if (hasNodeVariables && spec.nodes === undefined) throw new RangeError(`${spec.name}: the state has node variables, so the protocol must say how many nodes there are (nodes)`)
  const nodes = spec.nodes ? spec.nodes(config) : 0
  let actions = spec.actions(config, rules)
  if (variant?.actions) actions = variant.actions(actions, config, rules)
  const seen = new Set<string>()
  for (const a of actions) {
    if (seen.has(a.name)) throw new RangeError(`${spec.name}: two actions are named ${a.name}`)
    seen.add(a.name)
  }
  const invariants = spec.invariants?.(config, rules) ?? []
  return { rules, stateDef, declared, nodes, actions, invariants }
}

function buildModel<BS extends Record<string, BoundSpec>, D extends Declaration, R, B extends BoundsOf<BS>>(
  spec: ProtocolSpec<BS, D, R, B>,
  config: B,
  variantName: string,
  symmetry: boolean
): KitModel {
  const { rules, stateDef, nodes, actions, invariants: declaredInvariants } = resolve(spec, config, variantName)
  const layout = stateDef.layout(config, nodes)
  const pre = layout.view("pre")
  const next = layout.view("next")
  const families = actions.map((a) => compileAction(a, { nodes, pre, next, src: layout.src, dst: layout.next }))

  const stateView = layout.view("state")
  const before = layout.view("before")
  const after = stateView
  const stateInvariants: StateInvariant[] = []
  const stepInvariants: StepInvariant[] = []
  for (const inv of declaredInvariants) {
    if (inv.kind === "state") {
      const witness = inv.witness as ((s: unknown) => string) | undefined
      stateInvariants.push({
        name: inv.name,
        description: inv.description,
        holds: onNext(inv.holds as (s: unknown) => boolean, stateView, layout.next),
        // Off the hot path (a counterexample's last state): a plain closure.
        ...(witness ? { witness: (b: Uint8Array) => (layout.next.set(b), witness(stateView)) } : {})
      })
    } else {
      const witness = inv.witness as ((a: unknown, b: unknown) => string) | undefined
      stepInvariants.push({
        name: inv.name,
        description: inv.description,
        holds: onStep(inv.holds as (a: unknown, b: unknown) => boolean, before, after, layout.src, layout.next),
        ...(witness ? { witness: (a: Uint8Array, b: Uint8Array) => (layout.src.set(a), layout.next.set(b), witness(before, after)) } : {})
      })
    }
  }
  const temporalProperties: TemporalProperty[] = (spec.liveness?.(config, rules) ?? []).map((t) => ({
    name: t.name,
    description: t.description,
    kind: t.kind,
    instances: t.perNode ? nodes : 1,
    p: (b: Uint8Array, i: number) => (layout.next.set(b), (t.p as (s: unknown, i: number) => boolean)(stateView, i)),
    q: (b: Uint8Array, i: number) => (layout.next.set(b), (t.q as (s: unknown, i: number) => boolean)(stateView, i))
  }))
  const fairness = compileFairness(spec.name, spec.fairness?.(config, rules, families.map((f) => f.name)), families)
  layout.next.fill(0)
  spec.init?.(layout.view("init"), config)
  const initial = layout.next.slice()

  const constraintFn = spec.constraint
  if (symmetry && !spec.symmetry) throw new RangeError(`${spec.name} declares no symmetry`)
  if (symmetry && !layout.symmetric) throw new RangeError(`${spec.name}: no symmetry at these bounds: ${layout.symmetryProblem}`)
  return {
    protocol: spec.name,
    variant: variantName,
    config,
    widthBytes: layout.widthBytes,
    families,
    stateInvariants,
    stepInvariants,
    initialStates: () => [initial.slice()],
    buffers: { src: layout.src, next: layout.next },
    temporalProperties,
    fairness,
    nodeCount: nodes,
    constraint: constraintFn ? onNext((s) => constraintFn(s as StateView<D>, config), stateView, layout.next) : () => true,
    // Offered whenever the protocol declares symmetry; the search applies it only when asked.
    ...(spec.symmetry && layout.symmetric ? { canonicalize: layout.canonicalize } : {}),
    codec: {
      nodeVariables: layout.fields.filter((f) => f.scope === "node").map((f) => f.name),
      setVariables: layout.fields.filter((f) => f.type.kind === "set").map((f) => f.name),
      decode: (b) => layout.decode(b),
      encode: (state, into) => layout.encode(state, into)
    },
    layout: layout as unknown as StateLayout
  }
}

/**
 * The protocol on the value backend (values.ts) for validation: the same actions and invariants
 * over plain values, with no bound on terms, lengths or sizes. The bounds still fix what is not
 * a size: the number of nodes, and any domain or guard an action takes from them.
 */
function buildValueModel<BS extends Record<string, BoundSpec>, D extends Declaration, R, B extends BoundsOf<BS>>(spec: ProtocolSpec<BS, D, R, B>, config: B, variantName: string): ValueModel {
  const { declared, nodes, actions, invariants } = resolve(spec, config, variantName)
  const { fields, cells } = placeValueFields(declared, nodes)
  const holder: ValueHolder = { src: [], next: [], owned: new Uint8Array(cells), reads: null }
  const view = (side: "src" | "next", write: boolean, ghostReads: boolean) => valueRoot(fields, holder, nodes, side, write, ghostReads)
  const pre = view("src", false, false)
  const next = view("next", true, false)
  const families = actions.map((a) => compileValueAction(a, { nodes, pre, next, holder }))
  const stateView = view("next", false, true)
  const before = view("src", false, true)
  const stateInvariants: ValueModel["stateInvariants"][number][] = []
  const stepInvariants: ValueModel["stepInvariants"][number][] = []
  for (const inv of invariants) {
    if (inv.kind === "state") {
      const holds = inv.holds as (s: unknown) => boolean
      const witness = inv.witness as ((s: unknown) => string) | undefined
      stateInvariants.push({
        name: inv.name,
        holds: memoizedHolds(holder, (s) => ((holder.next = s), holds(stateView))),
        ...(witness ? { witness: (s: ValueState) => ((holder.next = s), witness(stateView)) } : {})
      })
    } else {
      const holds = inv.holds as (a: unknown, b: unknown) => boolean
      const witness = inv.witness as ((a: unknown, b: unknown) => string) | undefined
      stepInvariants.push({
        name: inv.name,
        holds: (a, b) => ((holder.src = a), (holder.next = b), holds(before, stateView)),
        ...(witness ? { witness: (a: ValueState, b: ValueState) => ((holder.src = a), (holder.next = b), witness(before, stateView)) } : {})
      })
    }
  }
  holder.next = zeroState(fields, cells, nodes)
  holder.owned.fill(1)
  spec.init?.(view("next", true, true) as InitView<D>, config)
  const initial = holder.next
  const byName = new Map(fields.map((f) => [f.name, f]))
  const decodeVariable = (s: ValueState, name: string, node?: number): unknown => {
    const f = byName.get(name)
    if (f === undefined) return undefined
    if (f.scope !== "node") return readableValue(f.type, s[f.cell])
    if (node !== undefined) return Number.isInteger(node) && node >= 1 && node <= nodes ? readableValue(f.type, s[f.cell + node - 1]) : undefined
    return Array.from({ length: nodes }, (_, k) => readableValue(f.type, s[f.cell + k]))
  }
  return {
    protocol: spec.name,
    variant: variantName,
    config,
    nodeCount: nodes,
    fields,
    families,
    stateInvariants,
    stepInvariants,
    initialState: () => initial,
    decodeVariable,
    decode: (s) => Object.fromEntries(fields.map((f) => [f.name, decodeVariable(s, f.name)])),
    encode: (readable) => {
      const s = zeroState(fields, cells, nodes)
      for (const f of fields) {
        const v = readable[f.name]
        const perNode = f.scope === "node"
        if (perNode && (!Array.isArray(v) || v.length !== nodes)) throw new RangeError(`${f.name}: expected a value for each of the ${nodes} nodes`)
        for (let k = 0; k < (perNode ? nodes : 1); k++) {
          const x = perNode ? (v as unknown[])[k] : v
          const problem = readableProblem(f.type, x, nodes, perNode ? `${f.name}[${k + 1}]` : f.name)
          if (problem !== null) throw new RangeError(problem)
          s[f.cell + k] = fromReadable(f.type, x)
        }
      }
      return s
    },
    sameVariable: (s, name, node, observed) => {
      const f = byName.get(name)
      if (f === undefined) return false
      if (f.scope !== "node") return sameAsReadable(f.type, s[f.cell], observed)
      if (node !== undefined) return Number.isInteger(node) && node >= 1 && node <= nodes && sameAsReadable(f.type, s[f.cell + node - 1], observed)
      if (!Array.isArray(observed) || observed.length !== nodes) return false
      for (let k = 0; k < nodes; k++) if (!sameAsReadable(f.type, s[f.cell + k], observed[k])) return false
      return true
    },
    problem: (name, value, node) => {
      const f = byName.get(name)
      if (f === undefined) return `${name}: not a variable`
      if (f.scope === "node" && node === undefined) {
        if (!Array.isArray(value) || value.length !== nodes) return `${name}: expected a value for each of the ${nodes} nodes`
        for (let k = 0; k < nodes; k++) {
          const p = readableProblem(f.type, value[k], nodes, `${name}[${k + 1}]`)
          if (p !== null) return p
        }
        return null
      }
      return readableProblem(f.type, value, nodes, name)
    },
    hash: (s) => hashState(fields, nodes, s),
    equal: (a, b) => equalStates(fields, nodes, a, b)
  }
}

/** Fairness by action name ("Enter", or "Enter(i)" per node) as family indexes; a name that is no action is an error. */
function compileFairness(protocol: string, decl: FairnessDecl | undefined, families: readonly ActionFamily[]): Fairness {
  const refs = (names: readonly string[] | undefined) =>
    (names ?? []).map((raw) => {
      const m = /^(\w+)(?:\((\w+)\))?$/.exec(raw)
      const family = m ? families.findIndex((f) => f.name === m[1]) : -1
      if (m === null || family < 0) throw new RangeError(`${protocol}: fairness names ${raw}, which is no action (actions: ${families.map((f) => f.name).join(", ")})`)
      const perNode = m[2] !== undefined
      const f = families[family]!
      if (perNode && (f.params[0] !== m[2] || f.paramKinds?.[0] !== "node")) throw new RangeError(`${protocol}: fairness ${raw}: ${f.name}'s first argument is not a node named ${m[2]}`)
      return { family, perNode }
    })
  return { weak: refs(decl?.weak), strong: refs(decl?.strong) }
}

/**
 * A predicate of packed bytes from a predicate of a view over `next`. Why `new Function`: one
 * wrapper per predicate keeps the call inside it monomorphic, so V8 inlines the predicate;
 * closures made in a loop would share one call site among all of a model's invariants. The
 * search passes its own buffer; any other state is copied in first.
 */
function onNext(holds: (s: unknown) => boolean, view: unknown, next: Uint8Array): (b: Uint8Array) => boolean {
  return new Function("holds", "view", "NEXT", "return function holdsOn(b) { if (b !== NEXT) NEXT.set(b); return holds(view) }")(holds, view, next)
}
function onStep(holds: (a: unknown, b: unknown) => boolean, before: unknown, after: unknown, src: Uint8Array, next: Uint8Array): (a: Uint8Array, b: Uint8Array) => boolean {
  return new Function("holds", "before", "after", "SRC", "NEXT", "return function holdsOn(a, b) { if (a !== SRC) SRC.set(a); if (b !== NEXT) NEXT.set(b); return holds(before, after) }")(
    holds,
    before,
    after,
    src,
    next
  )
}

/**
 * The action named `name` with more added, keeping its place in the order: guards after its last
 * clause (`require`, as the builder takes them) and an effect run after its own (`then`). A
 * protocol built on another's actions uses it to add variables the other does not know.
 */
export function extendAction<S, N>(
  actions: ReadonlyArray<Action<S, N>>,
  name: string,
  extension: {
    readonly require?: ReadonlyArray<readonly [pred: (s: S, a: any) => boolean, code: string, message: Message<S, any>]>
    readonly then?: (t: N, a: any, s: S) => void
  }
): Array<Action<S, N>> {
  const k = actions.findIndex((a) => a.name === name)
  if (k < 0) throw new RangeError(`no action ${name} (actions: ${actions.map((a) => a.name).join(", ")})`)
  const base = actions[k]!
  const guards = (extension.require ?? []).map(([pred, code, message]) => ({ kind: "require" as const, pred, code, message }))
  const own = base.effect
  const more = extension.then
  const extended: Action<S, N> = {
    ...base,
    levels: [...base.levels, ...guards],
    effect: more
      ? (t, a, s) => {
          own(t, a, s)
          more(t, a, s)
        }
      : own
  }
  return [...actions.slice(0, k), extended, ...actions.slice(k + 1)]
}

/** Replaces the action named `name` with `replacements` (none: drops it), keeping its place in the order. */
export function replaceAction(actions: readonly Action[], name: string, ...replacements: Action[]): Action[] {
  const k = actions.findIndex((a) => a.name === name)
  if (k < 0) throw new RangeError(`no action ${name} (actions: ${actions.map((a) => a.name).join(", ")})`)
  return [...actions.slice(0, k), ...replacements, ...actions.slice(k + 1)]
}
