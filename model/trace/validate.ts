/**
 * Trace validation: is an implementation's trace a run of the model? The validator streams the
 * trace and keeps the frontier, the set of model states consistent with every event so far.
 * An NDJSON trace is validated on the kit's value backend (kit/values.ts): the protocol's own
 * actions and invariants over plain values, so no term, log length or set size of a real run is
 * too large; the header's bounds fix only what is not a size (the servers, and any domain or guard
 * an action takes from a bound).
 * For each event it closes the frontier under the protocol's internal actions (steps the
 * implementation does not log) up to a budget, takes every successor by the event's action whose
 * arguments and observed fields match, and checks the invariants on those steps. An empty
 * frontier rejects the trace, with the candidates tried and a field-level diff of the closest.
 */
import { forValidation, readConfig } from "../engine/bounds.js"
import { BASE_VARIANT, type KitModel, type Protocol, type TraceMapping, type ValueModel } from "../kit/index.js"
import type { ValueState } from "../kit/values.js"
import type { TraceStep } from "../engine/path.js"
import type { TraceEvent, TraceHeader, TraceLine } from "./events.js"
import { itfStateReaderOf } from "./itf-decoder.js"
import { renderValue, toItfValue } from "./itf-values.js"
import { readTraceLine } from "./line-decoder.js"

/** A line of the trace file that cannot be read: file, line, field and why. */
export class TraceInputError extends Error {
  override readonly name = "TraceInputError"
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string | null,
    readonly problem: string
  ) {
    super(`${file}:${line}: ${field ? field + ": " : ""}${problem}`)
  }
}

export interface FieldDiff {
  readonly field: string
  readonly expected: unknown
  readonly observed: unknown
  /** The variable is a set: its arrays are in any order, so the text shows it whole. */
  readonly asSet?: true
}

/**
 * Where two plain JSON values differ, as paths below `path`: into arrays of the same length
 * (`path[k]`, k from 1 as in TLA+) and records with the same fields (`path.field`), so that a
 * diagnostic names the element and field that disagree instead of printing whole values. Sets
 * are not narrowed (their arrays are unordered).
 */
export function narrowDiff(path: string, expected: unknown, observed: unknown): Array<{ readonly path: string; readonly expected: unknown; readonly observed: unknown }> {
  if (canon(expected) === canon(observed)) return []
  if (Array.isArray(expected) && Array.isArray(observed) && expected.length === observed.length && expected.length > 0) {
    return expected.flatMap((e, k) => narrowDiff(`${path}[${k + 1}]`, e, observed[k]))
  }
  const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v)
  if (isRecord(expected) && isRecord(observed)) {
    const keys = Object.keys(expected)
    if (keys.length === Object.keys(observed).length && keys.every((k) => k in observed)) return keys.flatMap((k) => narrowDiff(`${path}.${k}`, expected[k], observed[k]))
  }
  return [{ path, expected, observed }]
}

export interface Rejection {
  /** An NDJSON event, or a state of an ITF trace (then `seq` and `line` are the state's number). */
  readonly at: "event" | "state"
  readonly seq: number
  readonly line: number
  readonly action: string
  readonly node: number | null
  /** The last event that matched, or null when the first event did not. */
  readonly lastMatched: number | null
  /** Model states consistent with the trace before this event. */
  readonly frontier: number
  readonly reason: "not-enabled" | "observation" | "invariant"
  readonly invariant?: string
  /** How many successors had the event's action and arguments. */
  readonly candidates: number
  /** When the action was not enabled: the failing guard's message in the first consistent state, if the model says. */
  readonly guard?: string
  /** ... and its stable code. */
  readonly guardCode?: string
  /** The successor with the fewest disagreeing observed fields, and those fields. */
  readonly closest?: { readonly args: Record<string, unknown>; readonly diff: readonly FieldDiff[] }
  /**
   * The smallest failing window: a model state consistent with the trace before the event and
   * the step the event should have been (the closest candidate; absent when none was enabled).
   */
  readonly window: { readonly from: ReadableState; readonly step?: ReadableStep }
}

/** A state as `decode` gives it: each variable by name, node variables as arrays by node. */
export type ReadableState = Record<string, unknown>
/** One state of a validated run, readable, and the action instance that led to it (absent for the first). */
export interface ReadableStep {
  readonly state: ReadableState
  readonly action?: { readonly name: string; readonly args: Record<string, unknown> }
}

/**
 * Readable steps packed for a model built at some bounds (to write them as ITF, say); a
 * RangeError names the first value that does not fit those bounds.
 */
export function packedSteps(model: KitModel, steps: readonly ReadableStep[]): TraceStep[] {
  return steps.map((step) => {
    const bytes = new Uint8Array(model.widthBytes)
    model.codec.encode(step.state, bytes)
    return { state: bytes, ...(step.action ? { action: step.action } : {}) }
  })
}

export interface ValidationResult {
  readonly protocol: string
  /** The bounds the trace was validated at (its header's, or its ITF #meta.config). */
  readonly config: Record<string, number>
  readonly events: number
  readonly accepted: boolean
  readonly rejection: Rejection | null
  /** Largest frontier seen. */
  readonly maxFrontier: number
  readonly seconds: number
  /** One run of the model that the accepted trace is (with `keepPath`), initial state first. */
  readonly path?: readonly ReadableStep[]
}

export interface ValidateOptions {
  /** Internal (unlogged) steps allowed before each event. */
  readonly internalSteps: number
  /** Keep the matched run, to export an accepted trace as ITF (memory then grows with the trace). */
  readonly keepPath?: boolean
  /** The variant to validate against (default: base); a planted bug's run is checked against its own variant. */
  readonly variant?: string
}

/** A step of the value model: the state after it and the action instance (absent for an initial state). */
interface ValueStep {
  readonly state: ValueState
  readonly action?: { readonly name: string; readonly args: Record<string, unknown> }
}

/** A matched run, newest step first. */
interface PathNode {
  readonly step: ValueStep
  readonly parent: PathNode | null
}

interface Entry {
  readonly state: ValueState
  readonly path: PathNode | null
  /** An invariant an internal step on the way here broke. */
  readonly violation?: string | undefined
}

/**
 * A set of frontier entries without duplicate states. With one entry (the usual frontier) nothing
 * is hashed; from the second on, states are found by hash and told apart by equality.
 */
class StateSet {
  private readonly list: Entry[] = []
  private byHash: Map<number, Entry[]> | null = null
  constructor(private readonly model: ValueModel) {}

  get size(): number {
    return this.list.length
  }
  values(): Entry[] {
    return this.list
  }
  has(state: ValueState): boolean {
    if (this.list.length === 0) return false
    if (this.list.length === 1 && this.byHash === null) return this.model.equal(this.list[0]!.state, state)
    return (this.index().get(this.model.hash(state)) ?? []).some((e) => this.model.equal(e.state, state))
  }
  /** Adds the entry unless its state is in the set already; whether it was added. */
  add(entry: Entry): boolean {
    if (this.has(entry.state)) return false
    this.list.push(entry)
    if (this.byHash !== null) this.insert(entry)
    return true
  }
  private index(): Map<number, Entry[]> {
    if (this.byHash === null) {
      this.byHash = new Map()
      for (const e of this.list) this.insert(e)
    }
    return this.byHash
  }
  private insert(e: Entry): void {
    const h = this.model.hash(e.state)
    const bucket = this.byHash!.get(h)
    if (bucket === undefined) this.byHash!.set(h, [e])
    else bucket.push(e)
  }
}

/** The successors of `state` by a family whose arguments are `given` (others enumerated), described. */
function stepsOf(model: ValueModel, family: number, state: ValueState, given: Readonly<Record<string, unknown>>): ValueStep[] {
  const f = model.families[family]!
  const steps: ValueStep[] = []
  f.expand(state, given, (next, args) => steps.push(new Step(next, f, args)))
  return steps
}

/** A successor and its action instance, described (the arguments by name) only when asked. */
class Step implements ValueStep {
  private described: ValueStep["action"]
  constructor(
    readonly state: ValueState,
    private readonly family: ValueModel["families"][number],
    private readonly raw: readonly number[]
  ) {}
  get action(): NonNullable<ValueStep["action"]> {
    return (this.described ??= { name: this.family.name, args: this.family.describe(this.raw) })
  }
}

/**
 * Are the event's arguments for this family all ones the family's loops were fixed to (node ids
 * and integers, node sets of distinct ids), so that every instance it emits has them and
 * `argsMatch` would accept it? Then the instances need not be described to be compared.
 */
function fixedExactly(params: readonly string[], kinds: ReadonlyArray<string>, event: TraceEvent, lenient: boolean): boolean {
  if (event.node !== null && params.length > 0 && kinds[0] !== "node" && kinds[0] !== "int") return false
  // The node given twice, as the event's and as its first argument, differently: argsMatch refuses it.
  if (event.node !== null && params.length > 0 && Object.hasOwn(event.args, params[0]!) && event.args[params[0]!] !== event.node) return false
  for (const name in event.args) {
    const k = params.indexOf(name)
    if (k < 0) {
      if (lenient) continue
      return false
    }
    const value = event.args[name]
    if (kinds[k] === "node" || kinds[k] === "int") {
      if (!Number.isSafeInteger(value)) return false
    } else if (kinds[k] === "nodeSet") {
      if (!Array.isArray(value) || !value.every((x) => Number.isInteger(x) && x >= 1 && x <= 31) || new Set(value).size !== value.length) return false
    } else return false
  }
  return true
}

/** The first invariant broken by the step from `from` to `to`, if any (step invariants first). */
function brokenBy(model: ValueModel, from: ValueState, to: ValueState): string | undefined {
  for (const i of model.stepInvariants) if (!i.holds(from, to)) return i.name
  for (const i of model.stateInvariants) if (!i.holds(to)) return i.name
  return undefined
}

/** Plain JSON form of an argument or state value (sets as sorted arrays). */
function plain(v: unknown): unknown {
  if (v instanceof Set) return [...v].map(plain).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
  if (Array.isArray(v)) return v.map(plain)
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}

/** JSON text with object keys sorted: JSON objects are unordered, so {a, b} equals {b, a}. */
function canon(v: unknown): string {
  const sortKeys = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sortKeys) : x !== null && typeof x === "object" ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sortKeys((x as Record<string, unknown>)[k])])) : x
  return JSON.stringify(sortKeys(plain(v)))
}

/**
 * Equal as JSON values: numbers, strings, booleans and null by value, arrays element by element,
 * objects field by field in any key order (what comparing canonical JSON texts decides, without
 * writing them: this runs for every observed field of every candidate step).
 */
function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let k = 0; k < a.length; k++) if (!equalJson(a[k], b[k])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  for (const k of keys) if (!Object.hasOwn(b, k) || !equalJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
  return true
}

/** Plain values equal; a set's arrays in any order. */
export function sameValue(expected: unknown, observed: unknown, asSet: boolean): boolean {
  if (asSet && Array.isArray(expected) && Array.isArray(observed)) {
    if (expected.length !== observed.length) return false
    const sort = (xs: unknown[]) => xs.map(canon).sort()
    return JSON.stringify(sort(expected)) === JSON.stringify(sort(observed))
  }
  return equalJson(expected, observed)
}

/** The observed fields of a state that disagree with an event's observation (each decoded alone). */
function diffObserved(model: ValueModel, state: ValueState, event: TraceEvent, fields: ReadonlyMap<string, ValueModel["fields"][number]>): FieldDiff[] {
  let diffs: FieldDiff[] | undefined
  for (const field in event.observed) {
    const observed = event.observed[field]
    const f = fields.get(field)
    const node = event.node !== null && f?.scope === "node" ? event.node : undefined
    // Compared without decoding; only a difference is decoded, for the diagnostic.
    if (model.sameVariable(state, field, node, observed)) continue
    const asSet = f?.type.kind === "set"
    ;(diffs ??= []).push({ field, expected: plain(model.decodeVariable(state, field, node)), observed, ...(asSet ? { asSet: true as const } : {}) })
  }
  return diffs ?? NO_DIFF
}

const NO_DIFF: FieldDiff[] = []

/** The text lines of a diff: the disagreeing elements and fields (a set whole). */
function diffLines(diff: readonly FieldDiff[]): string[] {
  return diff.flatMap((d) => (d.asSet ? [{ path: d.field, expected: d.expected, observed: d.observed }] : narrowDiff(d.field, d.expected, d.observed)).map((n) => `  ${n.path}: ${show(n.expected)} vs ${show(n.observed)}`))
}

/**
 * Do the described arguments of a model step match the event's node and arguments? When the
 * event stands for several steps (`lenient`), arguments a step does not have are not its concern.
 */
function argsMatch(params: readonly string[], described: Record<string, unknown>, event: TraceEvent, lenient: boolean): boolean {
  if (event.node !== null && params.length > 0 && described[params[0]!] !== event.node) return false
  for (const [name, value] of Object.entries(event.args)) {
    if (!(name in described)) {
      if (lenient) continue
      return false
    }
    const d = described[name]
    if (d instanceof Set && Array.isArray(value) && value.every((x) => typeof x === "number")) {
      // A set of node ids (the common case) without writing canonical texts.
      if (value.length !== d.size || !value.every((x) => d.has(x)) || new Set(value).size !== value.length) return false
    } else if (!sameValue(plain(d), value, d instanceof Set)) return false
  }
  return true
}

/**
 * Models already built, by protocol, variant and bounds: a batch of traces at the same bounds
 * builds the model once, not once a trace (building generates code; for small traces it was a
 * fifth of the time). Validation uses a model synchronously between two lines of a trace, so
 * traces validated at once (interleaved at their awaits) can share it.
 */
const models = new WeakMap<Protocol, Map<string, ValueModel>>()

function builtModel(protocol: Protocol, config: Record<string, number>, variant: string): ValueModel {
  let byKey = models.get(protocol)
  if (byKey === undefined) models.set(protocol, (byKey = new Map()))
  const key = `${variant} ${JSON.stringify(config)}`
  let model = byKey.get(key)
  if (model === undefined) byKey.set(key, (model = protocol.buildValues(config, variant)))
  return model
}

/**
 * The arguments a family's instances must have to match the event, by name: the event's node
 * as the first parameter (when that is a node or an integer), and the event's arguments that are
 * the family's parameters. The family enumerates only the rest; `argsMatch` still decides.
 */
function givenArguments(params: readonly string[], kinds: ReadonlyArray<string>, event: TraceEvent): Record<string, unknown> {
  const given: Record<string, unknown> = {}
  if (event.node !== null && params.length > 0 && (kinds[0] === "node" || kinds[0] === "int")) given[params[0]!] = event.node
  for (const [name, value] of Object.entries(event.args)) if (params.includes(name)) given[name] = value
  return given
}

/** Checks the header against the protocol; returns the model to validate against. */
export function modelForHeader(protocol: Protocol, header: TraceHeader, file: string, variant: string = BASE_VARIANT): ValueModel {
  if (header.protocol !== protocol.name) {
    throw new TraceInputError(file, 1, "protocol", `the trace is for ${header.protocol}, not ${protocol.name}`)
  }
  for (const field of Object.keys(header.config)) {
    if (!(field in protocol.bounds)) {
      throw new TraceInputError(file, 1, `config.${field}`, `not a bound of ${protocol.name} (bounds: ${Object.keys(protocol.bounds).join(", ")})`)
    }
  }
  const config = readConfig(forValidation(protocol.bounds), header.config)
  if (!config.ok) throw new TraceInputError(file, 1, "config", config.message)
  let model: ValueModel
  try {
    model = builtModel(protocol, config.config, variant)
  } catch (e) {
    throw new TraceInputError(file, 1, "config", (e as Error).message)
  }
  const n = model.nodeCount
  if (JSON.stringify(header.nodes) !== JSON.stringify(Array.from({ length: n }, (_, k) => k + 1))) {
    throw new TraceInputError(file, 1, "nodes", `expected the node ids 1..${n} for these bounds, got ${JSON.stringify(header.nodes)}`)
  }
  return model
}

/** Does a parsed JSON value hold an object key "__proto__" anywhere? */
function hasProtoKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasProtoKey)
  if (v === null || typeof v !== "object") return false
  return Object.keys(v).some((k) => k === "__proto__" || hasProtoKey((v as Record<string, unknown>)[k]))
}

/** Decodes one line of a trace, or throws a TraceInputError naming the field. */
export function decodeLine(text: string, file: string, line: number): TraceLine {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new TraceInputError(file, line, null, `not valid JSON (${(e as Error).message})`)
  }
  // JSON.parse keeps "__proto__" as an ordinary key; code that copies objects may not, so no such key is accepted.
  if (text.includes('"__proto__"') && hasProtoKey(json)) throw new TraceInputError(file, line, "__proto__", 'the key "__proto__" is not allowed')
  const read = readTraceLine(json)
  if (read.ok) return read.line
  const { path, message } = read.problem
  throw new TraceInputError(file, line, path.length > 0 ? path.join(".") : null, message)
}

/**
 * Validates the events of a trace, read line by line from `lines` (1-based line numbers). The
 * first line must be the header.
 */
export async function validateTrace(
  protocol: Protocol,
  mapping: TraceMapping,
  lines: AsyncIterable<string | readonly string[]>,
  file: string,
  options: ValidateOptions
): Promise<ValidationResult> {
  const started = performance.now()
  let model: ValueModel | undefined
  let frontier: StateSet | undefined
  const keep = options.keepPath === true
  let lineNo = 0
  let seq = 0
  let maxFrontier = 0
  let families = new Map<string, number>()
  const internal: number[] = []
  /** Events the mapping relates to a sequence of model actions (possibly none). */
  const sequences = new Map<string, number[]>()
  const actionsOf = (action: string): number[] | undefined => {
    const mapped = sequences.get(action)
    if (mapped !== undefined) return mapped
    const k = families.get(action)
    return k === undefined ? undefined : [k]
  }
  let nodeCount = 0
  let variables = new Set<string>()
  let fieldsByName = new Map<string, ValueModel["fields"][number]>()
  /** The arguments of each event's actions, by name, with their kinds. */
  const paramsOf = new Map<string, Map<string, string>>()
  let config: Record<string, number> = {}
  const finish = (rejection: Rejection | null): ValidationResult => ({
    protocol: protocol.name,
    config,
    events: rejection ? rejection.seq - 1 : seq,
    accepted: rejection === null,
    rejection,
    maxFrontier,
    seconds: (performance.now() - started) / 1000
  })
  const readable = (step: ValueStep): ReadableStep => ({ state: model!.decode(step.state), ...(step.action ? { action: step.action } : {}) })
  // Lines come one by one or a batch at a time (a file reader's chunk: one await for many lines).
  for await (const item of lines) {
    for (const text of typeof item === "string" ? [item] : item) {
      lineNo++
      if (text.trim() === "") continue
      const decoded = decodeLine(text, file, lineNo)
      if (model === undefined) {
        if (decoded.kind !== "header") throw new TraceInputError(file, lineNo, "kind", "the first line must be the header")
        model = modelForHeader(protocol, decoded, file, options.variant)
        config = { ...model.config }
        families = new Map(model.families.map((f, k) => [f.name, k]))
        const familyOf = (name: string) => {
          const k = families.get(name)
          if (k === undefined) throw new Error(`trace mapping of ${protocol.name} names an unknown action ${name}`)
          return k
        }
        for (const name of mapping.internal) internal.push(familyOf(name))
        for (const [event, actions] of Object.entries(mapping.events ?? {})) sequences.set(event, actions.map(familyOf))
        frontier = new StateSet(model)
        const initial = model.initialState()
        frontier.add({ state: initial, path: keep ? { step: { state: initial }, parent: null } : null })
        maxFrontier = frontier.size
        nodeCount = decoded.nodes.length
        variables = new Set(model.fields.map((f) => f.name))
        fieldsByName = new Map(model.fields.map((f) => [f.name, f]))
        continue
      }
      if (decoded.kind === "header") throw new TraceInputError(file, lineNo, "kind", "a second header")
      const event = decoded
      if (event.seq !== seq + 1) throw new TraceInputError(file, lineNo, "seq", `expected ${seq + 1}, got ${event.seq}`)
      const sequence = actionsOf(event.action)
      if (sequence === undefined) {
        const known = [...families.keys(), ...Object.keys(mapping.events ?? {})]
        throw new TraceInputError(file, lineNo, "action", `unknown action ${JSON.stringify(event.action)} (actions of ${protocol.name}: ${known.join(", ")})`)
      }
      // The node is the first parameter of the event's (first) action; only node ids are checked here.
      const firstKind = sequence.length > 0 ? model.families[sequence[0]!]!.paramKinds[0] : undefined
      if (event.node !== null && firstKind === "node" && event.node > nodeCount) throw new TraceInputError(file, lineNo, "node", `no node ${event.node} (nodes 1..${nodeCount})`)
      for (const field in event.observed) {
        if (!variables.has(field)) {
          throw new TraceInputError(file, lineNo, `observed.${field}`, `not a variable of ${protocol.name} (variables: ${[...variables].join(", ")})`)
        }
      }
      // An argument no action of the event has, or a value no instance can have (a node that does
      // not exist, an integer past 2^53), is a mistake in the trace, not a step that is not enabled.
      let params = paramsOf.get(event.action)
      if (params === undefined) {
        params = new Map()
        for (const f of sequence) model.families[f]!.params.forEach((p, k) => params!.set(p, model!.families[f]!.paramKinds[k]!))
        paramsOf.set(event.action, params)
      }
      for (const name in event.args) {
        const kind = params.get(name)
        if (kind === undefined) throw new TraceInputError(file, lineNo, `args.${name}`, `not an argument of ${event.action} (its arguments: ${[...params.keys()].join(", ") || "none"})`)
        const value = event.args[name]
        const node = (x: unknown) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= nodeCount
        if (typeof value === "number" && !Number.isSafeInteger(value)) throw new TraceInputError(file, lineNo, `args.${name}`, `${value} is not an integer up to 2^53`)
        if (kind === "node" && typeof value === "number" && !node(value)) throw new TraceInputError(file, lineNo, `args.${name}`, `no node ${value} (nodes 1..${nodeCount})`)
        if (kind === "nodeSet" && Array.isArray(value) && !value.every(node)) {
          throw new TraceInputError(file, lineNo, `args.${name}`, `${JSON.stringify(value)} is not a set of node ids 1..${nodeCount}`)
        }
      }
      const closure = close(model, frontier!, internal, options.internalSteps, keep)
      // The model steps the event stands for, in order; the observation is of the state after them.
      let ends: Array<{ entry: Entry; from: Entry; step: ValueStep | undefined }> = closure.values().map((entry) => ({ entry, from: entry, step: undefined }))
      const lenient = sequence.length !== 1
      for (const family of sequence) {
        const f = model.families[family]!
        const given = givenArguments(f.params, f.paramKinds, event)
        const grown: typeof ends = []
        for (const { entry } of ends) {
          const exact = fixedExactly(f.params, f.paramKinds, event, lenient)
          for (const step of stepsOf(model, family, entry.state, given)) {
            if (!exact && !argsMatch(f.params, step.action!.args, event, lenient)) continue
            const violation = entry.violation ?? brokenBy(model, entry.state, step.state)
            grown.push({ entry: { state: step.state, violation, path: keep ? { step, parent: entry.path } : null }, from: entry, step })
          }
        }
        ends = grown
      }
      const next = new StateSet(model)
      let candidates = 0
      let closest: Rejection["closest"]
      let window: { from: ValueState; step?: ValueStep } | undefined
      let invariantBroken: string | undefined
      for (const { entry, from, step } of ends) {
        candidates++
        const diff = diffObserved(model, entry.state, event, fieldsByName)
        if (diff.length > 0) {
          if (closest === undefined || diff.length < closest.diff.length) {
            closest = { args: step ? (plain(step.action!.args) as Record<string, unknown>) : {}, diff }
            window = { from: from.state, ...(step ? { step } : {}) }
          }
          continue
        }
        if (entry.violation !== undefined) {
          if (invariantBroken === undefined) window = { from: from.state, ...(step ? { step } : {}) }
          invariantBroken ??= entry.violation
          continue
        }
        next.add({ state: entry.state, path: entry.path })
      }
      if (next.size === 0) {
        // A value no state can hold (a negative term, a node that does not exist) is a mistake in
        // the trace, not a disagreement. Checked only here: a value some state matched is one.
        for (const field in event.observed) {
          const perNode = fieldsByName.get(field)!.scope === "node" && event.node !== null
          const problem = model.problem(field, event.observed[field], perNode ? event.node! : undefined)
          if (problem !== null) throw new TraceInputError(file, lineNo, `observed.${problem.slice(0, problem.indexOf(":"))}`, problem.slice(problem.indexOf(":") + 2))
        }
        let guard: string | undefined
        let guardCode: string | undefined
        if (candidates === 0 && sequence.length === 1) {
          const family = model.families[sequence[0]!]!
          const first = family.params[0]
          const args = { ...(first !== undefined && event.node !== null ? { [first]: event.node } : {}), ...event.args }
          const why = family.explain(closure.values()[0]!.state, args)
          if (why !== null) {
            guard = why.message
            guardCode = why.code
          }
        }
        const from = window?.from ?? frontier!.values()[0]!.state
        return finish({
          at: "event",
          seq: event.seq,
          line: lineNo,
          action: event.action,
          node: event.node,
          lastMatched: seq > 0 ? seq : null,
          frontier: frontier!.size,
          reason: invariantBroken !== undefined ? "invariant" : candidates === 0 ? "not-enabled" : "observation",
          ...(invariantBroken !== undefined ? { invariant: invariantBroken } : {}),
          candidates,
          ...(guard !== undefined ? { guard, guardCode } : {}),
          ...(closest ? { closest } : {}),
          window: { from: model.decode(from), ...(window?.step ? { step: readable(window.step) } : {}) }
        })
      }
      frontier = next
      maxFrontier = Math.max(maxFrontier, frontier.size)
      seq = event.seq
    }
  }
  if (model === undefined) throw new TraceInputError(file, Math.max(1, lineNo), "kind", "the trace has no header")
  const result = finish(null)
  if (!keep) return result
  const path: ReadableStep[] = []
  for (let node = frontier!.values()[0]?.path ?? null; node !== null; node = node.parent) path.unshift(readable(node.step))
  return { ...result, path }
}

/** The frontier and every state reachable from it by up to `budget` internal steps. */
function close(model: ValueModel, frontier: StateSet, internal: readonly number[], budget: number, keep: boolean): StateSet {
  if (budget === 0 || internal.length === 0) return frontier
  const closure = new StateSet(model)
  for (const e of frontier.values()) closure.add(e)
  let layer = [...closure.values()]
  for (let b = 0; b < budget && layer.length > 0; b++) {
    const grown: Entry[] = []
    for (const from of layer) {
      for (const family of internal) {
        for (const step of stepsOf(model, family, from.state, {})) {
          if (closure.has(step.state)) continue
          const violation = from.violation ?? brokenBy(model, from.state, step.state)
          const entry: Entry = { state: step.state, violation, path: keep ? { step, parent: from.path } : null }
          closure.add(entry)
          grown.push(entry)
        }
      }
    }
    layer = grown
  }
  return closure
}

const show = (v: unknown) => {
  try {
    return renderValue(toItfValue(v))
  } catch {
    return JSON.stringify(v) ?? String(v)
  }
}

/** A rejection as text: where, why, and the closest candidate's disagreeing fields. */
export function renderRejection(file: string, r: Rejection): string {
  if (r.at === "state") {
    if (r.seq === 1) return `rejected: ${file}: state 1 is not an initial state of the model`
    const lines = [`rejected: ${file}: state ${r.seq} is not a successor of state ${r.seq - 1}`]
    if (r.reason === "invariant") lines[0] = `rejected: ${file}: the step to state ${r.seq} (${r.action}) violates ${r.invariant}`
    else if (r.reason === "not-enabled") lines.push(`state ${r.seq - 1} has no successor in the model`)
    if (r.closest && r.reason === "observation") {
      lines.push(`closest successor: ${r.action}(${Object.entries(r.closest.args).map(([k, v]) => `${k} = ${show(v)}`).join(", ")}); variables that differ (model vs trace):`)
      lines.push(...diffLines(r.closest.diff))
    }
    return lines.join("\n")
  }
  const where = `${file}:${r.line}: event ${r.seq} (${r.action}${r.node !== null ? ` at node ${r.node}` : ""})`
  const before = `${r.frontier} model state${r.frontier === 1 ? " was" : "s were"} consistent with the trace before it` +
    (r.lastMatched !== null ? ` (last matched event: ${r.lastMatched})` : " (it is the first event)")
  const lines = [`rejected: ${where} is not a step of the model`, before]
  if (r.reason === "not-enabled") {
    lines.push(`${r.action} with these arguments is enabled in none of them` + (r.guard ? `; in the first: ${r.guard}` : ": its guard fails"))
  }
  if (r.reason === "invariant") lines.push(`the only matching steps violate ${r.invariant}`)
  if (r.reason === "observation") lines.push(`${r.candidates} step${r.candidates === 1 ? "" : "s"} had this action and these arguments, but none matches what was observed`)
  if (r.closest) {
    const args = Object.entries(r.closest.args).map(([k, v]) => `${k} = ${show(v)}`).join(", ")
    lines.push(`closest: ${r.action}(${args}); fields that disagree (model vs observed):`)
    lines.push(...diffLines(r.closest.diff))
  }
  return lines.join("\n")
}

/** A whole-state diff between two states (every variable that differs). */
function diffStates(model: ValueModel, expected: ValueState, observed: ValueState): FieldDiff[] {
  const a = model.decode(expected)
  const b = model.decode(observed)
  return model.fields.flatMap((f) => {
    const asSet = f.type.kind === "set"
    return sameValue(a[f.name], b[f.name], asSet) ? [] : [{ field: f.name, expected: plain(a[f.name]), observed: plain(b[f.name]), ...(asSet ? { asSet: true as const } : {}) }]
  })
}

/**
 * Validates an ITF trace (a sequence of full states, e.g. from Quint's simulator or from
 * replcheck): the first state must be initial and each next state a successor of the one before.
 * The bounds are the trace's `#meta.config` when present, else the protocol's defaults; as for
 * NDJSON, the states are the value backend's, so no size is bounded.
 */
export function validateItf(protocol: Protocol, doc: unknown, file: string, variant: string = BASE_VARIANT): ValidationResult {
  const started = performance.now()
  const d = doc as { "#meta"?: { config?: unknown }; states?: unknown }
  if (d === null || typeof d !== "object" || !Array.isArray(d.states)) throw new TraceInputError(file, 1, "states", "an ITF trace needs a states array")
  const given = (d["#meta"]?.config ?? {}) as Record<string, number>
  for (const field of Object.keys(given)) {
    if (!(field in protocol.bounds)) throw new TraceInputError(file, 1, `#meta.config.${field}`, `not a bound of ${protocol.name} (bounds: ${Object.keys(protocol.bounds).join(", ")})`)
  }
  const read = readConfig(forValidation(protocol.bounds), given)
  if (!read.ok) throw new TraceInputError(file, 1, "#meta.config", read.message)
  const config = read.config
  let model: ValueModel
  try {
    model = builtModel(protocol, config, variant)
  } catch (e) {
    throw new TraceInputError(file, 1, "#meta.config", (e as Error).message)
  }
  // A variable the model does not have is bad input, not something to ignore.
  const decode = itfStateReaderOf(model.fields)
  const states = d.states.map((raw: unknown, k: number) => {
    const { ["#meta"]: _meta, ...all } = (raw ?? {}) as Record<string, unknown>
    // Quint's model-based-testing variables (mbt::actionTaken, mbt::nondetPicks) describe the
    // step, not the state. Quint names the variables of an instantiated module by its path
    // (base::mutex::pc for pc): the last part is the variable.
    const vars: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(all)) {
      if (name.startsWith("mbt::")) continue
      const last = name.includes("::") ? name.slice(name.lastIndexOf("::") + 2) : name
      if (Object.hasOwn(vars, last)) throw new TraceInputError(file, 1, `states[${k}].${name}`, `a second variable named ${last}`)
      vars[last] = value
    }
    const readable = decode(vars)
    if (!readable.ok) {
      const { path, message } = readable.problem
      throw new TraceInputError(file, 1, `states[${k}]${path.length > 0 ? "." + path.join(".") : ""}`, message)
    }
    try {
      return model.encode(readable.state)
    } catch (e) {
      throw new TraceInputError(file, 1, `states[${k}]`, (e as Error).message)
    }
  })
  const reject = (k: number, from: ValueState, closest?: { step: ValueStep; diff: FieldDiff[] }, invariant?: string): ValidationResult => ({
    protocol: protocol.name,
    config,
    events: Math.max(0, k - 1),
    accepted: false,
    maxFrontier: 1,
    seconds: (performance.now() - started) / 1000,
    rejection: {
      at: "state",
      seq: k + 1,
      line: k + 1,
      action: closest?.step.action?.name ?? "",
      node: null,
      lastMatched: k > 0 ? k : null,
      frontier: 1,
      reason: invariant !== undefined ? "invariant" : closest ? "observation" : "not-enabled",
      ...(invariant !== undefined ? { invariant } : {}),
      candidates: closest ? 1 : 0,
      ...(closest ? { closest: { args: plain(closest.step.action!.args) as Record<string, unknown>, diff: closest.diff } } : {}),
      window: { from: model.decode(from), ...(closest ? { step: { state: model.decode(closest.step.state), action: closest.step.action! } } : {}) }
    }
  })
  if (states.length === 0) throw new TraceInputError(file, 1, "states", "the trace has no states")
  if (!model.equal(model.initialState(), states[0]!)) return reject(0, states[0]!)
  for (let k = 1; k < states.length; k++) {
    const prev = states[k - 1]!
    const next = states[k]!
    const successors = model.families.flatMap((_, family) => stepsOf(model, family, prev, {}))
    const matched = successors.find((step) => model.equal(step.state, next))
    if (matched === undefined) {
      // Only a rejection needs the diffs (decoding every successor is most of the work).
      let closest: { step: ValueStep; diff: FieldDiff[] } | undefined
      for (const step of successors) {
        const diff = diffStates(model, step.state, next)
        if (closest === undefined || diff.length < closest.diff.length) closest = { step, diff }
      }
      return reject(k, prev, closest)
    }
    const broken = brokenBy(model, prev, next)
    if (broken !== undefined) return reject(k, prev, { step: matched, diff: [] }, broken)
  }
  return { protocol: protocol.name, config, events: states.length - 1, accepted: true, rejection: null, maxFrontier: 1, seconds: (performance.now() - started) / 1000 }
}
