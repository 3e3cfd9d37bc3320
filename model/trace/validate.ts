/**
 * Trace validation: is an implementation's trace a run of the model? The validator streams the
 * trace and keeps the frontier, the set of model states consistent with every event so far.
 * For each event it closes the frontier under the protocol's internal actions (steps the
 * implementation does not log) up to a budget, takes every successor by the event's action whose
 * arguments and observed fields match, and checks the invariants on those steps. An empty
 * frontier rejects the trace, with the candidates tried and a field-level diff of the closest.
 */
import { readConfig } from "../engine/bounds.js"
import type { ActionFamily, Model } from "../engine/model.js"
import { BASE_VARIANT, type KitModel, type Protocol, type TraceMapping } from "../kit/index.js"
import { successorsMatching, successorsOf, type TraceStep } from "../engine/path.js"
import type { TraceEvent, TraceHeader, TraceLine } from "./events.js"
import { itfStateReader } from "./itf-decoder.js"
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
  readonly window: { readonly from: Uint8Array; readonly step?: TraceStep }
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
  readonly path?: readonly TraceStep[]
}

export interface ValidateOptions {
  /** Internal (unlogged) steps allowed before each event. */
  readonly internalSteps: number
  /** Keep the matched run, to export an accepted trace as ITF (memory then grows with the trace). */
  readonly keepPath?: boolean
  /** The variant to validate against (default: base); a planted bug's run is checked against its own variant. */
  readonly variant?: string
}

/** A matched run, newest step first. */
interface PathNode {
  readonly step: TraceStep
  readonly parent: PathNode | null
}

interface Entry {
  readonly state: Uint8Array
  readonly path: PathNode | null
  /** An invariant an internal step on the way here broke. */
  readonly violation?: string | undefined
}

const key = (s: Uint8Array) => Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString("latin1")

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
function diffObserved(model: KitModel, state: Uint8Array, event: TraceEvent): FieldDiff[] {
  const sets = model.codec.setVariables ?? []
  const layout = model.layout
  let diffs: FieldDiff[] | undefined
  for (const field in event.observed) {
    const observed = event.observed[field]
    const node = event.node !== null && layout.fields.find((f) => f.name === field)?.scope === "node" ? event.node : undefined
    const expected = layout.decodeVariable(state, field, node)
    const asSet = sets.includes(field)
    if (!sameValue(expected, observed, asSet)) (diffs ??= []).push({ field, expected: plain(expected), observed, ...(asSet ? { asSet: true as const } : {}) })
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
const models = new WeakMap<Protocol, Map<string, KitModel>>()

function builtModel(protocol: Protocol, config: Record<string, number>, variant: string): KitModel {
  let byKey = models.get(protocol)
  if (byKey === undefined) models.set(protocol, (byKey = new Map()))
  const key = `${variant} ${JSON.stringify(config)}`
  let model = byKey.get(key)
  if (model === undefined) byKey.set(key, (model = protocol.build(config, variant, { symmetry: false })))
  return model
}

/**
 * A test of a step's raw arguments (the numbers its action emits) that never refuses a step
 * `argsMatch` would accept, and refuses most that it would not: the event's node as the first
 * parameter, integer and node arguments by value, node sets by their bit mask. Anything else it
 * leaves to `argsMatch`.
 */
function argsPrefilter(f: ActionFamily, event: TraceEvent, lenient: boolean): (raw: readonly number[]) => boolean {
  const checks: Array<readonly [index: number, value: number]> = []
  const kinds = f.paramKinds ?? []
  if (event.node !== null && f.params.length > 0 && (kinds[0] === "node" || kinds[0] === "int")) checks.push([0, event.node])
  for (const [name, value] of Object.entries(event.args)) {
    const k = f.params.indexOf(name)
    if (k < 0) {
      if (lenient) continue
      return () => false
    }
    if ((kinds[k] === "node" || kinds[k] === "int") && typeof value === "number") checks.push([k, value])
    else if (kinds[k] === "nodeSet" && Array.isArray(value) && value.every((x) => Number.isInteger(x) && x >= 1 && x <= 31)) {
      checks.push([k, (value as number[]).reduce((m, x) => m | (1 << (x - 1)), 0)])
    }
  }
  return (raw) => {
    for (const [k, v] of checks) if (raw[k] !== v) return false
    return true
  }
}

/** Checks the header against the protocol; returns the model to validate against. */
export function modelForHeader(protocol: Protocol, header: TraceHeader, file: string, variant: string = BASE_VARIANT): KitModel {
  if (header.protocol !== protocol.name) {
    throw new TraceInputError(file, 1, "protocol", `the trace is for ${header.protocol}, not ${protocol.name}`)
  }
  for (const field of Object.keys(header.config)) {
    if (!(field in protocol.bounds)) {
      throw new TraceInputError(file, 1, `config.${field}`, `not a bound of ${protocol.name} (bounds: ${Object.keys(protocol.bounds).join(", ")})`)
    }
  }
  const config = readConfig(protocol.bounds, header.config)
  if (!config.ok) throw new TraceInputError(file, 1, "config", config.message)
  let model: KitModel
  try {
    model = builtModel(protocol, config.config, variant)
  } catch (e) {
    throw new TraceInputError(file, 1, "config", (e as Error).message)
  }
  const n = model.layout.nodes
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
  lines: AsyncIterable<string>,
  file: string,
  options: ValidateOptions
): Promise<ValidationResult> {
  const started = performance.now()
  let model: KitModel | undefined
  let frontier = new Map<string, Entry>()
  const keep = options.keepPath === true
  let lineNo = 0
  let seq = 0
  let maxFrontier = 0
  let families = new Map<string, number>()
  const internal = new Set<number>()
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
  try {
    for await (const text of lines) {
      lineNo++
      if (text.trim() === "") continue
      const decoded = decodeLine(text, file, lineNo)
      if (model === undefined) {
        if (decoded.kind !== "header") throw new TraceInputError(file, lineNo, "kind", "the first line must be the header")
        model = modelForHeader(protocol, decoded, file, options.variant)
        config = { ...(readConfig(protocol.bounds, decoded.config) as { config: Record<string, number> }).config }
        families = new Map(model.families.map((f, k) => [f.name, k]))
        const familyOf = (name: string) => {
          const k = families.get(name)
          if (k === undefined) throw new Error(`trace mapping of ${protocol.name} names an unknown action ${name}`)
          return k
        }
        for (const name of mapping.internal) internal.add(familyOf(name))
        for (const [event, actions] of Object.entries(mapping.events ?? {})) sequences.set(event, actions.map(familyOf))
        for (const s of model.initialStates()) frontier.set(key(s), { state: s, path: keep ? { step: { state: s }, parent: null } : null })
        maxFrontier = frontier.size
        nodeCount = decoded.nodes.length
        variables = new Set(model.layout.fields.map((f) => f.name))
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
      const firstKind = sequence.length > 0 ? model.families[sequence[0]!]!.paramKinds?.[0] : undefined
      if (event.node !== null && firstKind === "node" && event.node > nodeCount) throw new TraceInputError(file, lineNo, "node", `no node ${event.node} (nodes 1..${nodeCount})`)
      for (const field of Object.keys(event.observed)) {
        if (!variables.has(field)) {
          throw new TraceInputError(file, lineNo, `observed.${field}`, `not a variable of ${protocol.name} (variables: ${[...variables].join(", ")})`)
        }
      }
      // An argument no action of the event has is a mistake in the trace, not a step that is not enabled.
      const params = new Set<string>()
      for (const f of sequence) for (const p of model.families[f]!.params) params.add(p)
      for (const name of Object.keys(event.args)) {
        if (!params.has(name)) throw new TraceInputError(file, lineNo, `args.${name}`, `not an argument of ${event.action} (its arguments: ${[...params].join(", ") || "none"})`)
      }
      const closure = close(model, frontier, internal, options.internalSteps, keep)
      // The model steps the event stands for, in order; the observation is of the state after them.
      let ends: Array<{ entry: Entry; from: Entry; step: TraceStep | undefined }> = [...closure.values()].map((entry) => ({ entry, from: entry, step: undefined }))
      // Each family's cheap test of raw arguments; argsMatch below still decides.
      const prefilters = sequence.map((family) => argsPrefilter(model!.families[family]!, event, sequence.length !== 1))
      for (const [k, family] of sequence.entries()) {
        const params = model.families[family]!.params
        const grown: typeof ends = []
        for (const { entry } of ends) {
          for (const step of successorsMatching(model, entry.state, family, prefilters[k]!)) {
            if (!argsMatch(params, step.action!.args, event, sequence.length !== 1)) continue
            const violation =
              entry.violation ??
              model.stepInvariants.find((i) => !i.holds(entry.state, step.state))?.name ??
              model.stateInvariants.find((i) => !i.holds(step.state))?.name
            grown.push({ entry: { state: step.state, violation, path: keep ? { step, parent: entry.path } : null }, from: entry, step })
          }
        }
        ends = grown
      }
      const next = new Map<string, Entry>()
      let candidates = 0
      let closest: Rejection["closest"]
      let window: Rejection["window"] | undefined
      let invariantBroken: string | undefined
      for (const { entry, from, step } of ends) {
        candidates++
        const diff = diffObserved(model, entry.state, event)
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
        next.set(key(entry.state), { state: entry.state, path: entry.path })
      }
      if (next.size === 0) {
        let guard: string | undefined
        let guardCode: string | undefined
        if (candidates === 0 && sequence.length === 1) {
          const family = model.families[sequence[0]!]!
          const first = family.params[0]
          const args = { ...(first !== undefined && event.node !== null ? { [first]: event.node } : {}), ...event.args }
          const why = family.explain?.(closure.values().next().value!.state, args) ?? null
          if (why !== null) {
            guard = why.message
            guardCode = why.code
          }
        }
        return finish({
          at: "event",
          seq: event.seq,
          line: lineNo,
          action: event.action,
          node: event.node,
          lastMatched: seq > 0 ? seq : null,
          frontier: frontier.size,
          reason: invariantBroken !== undefined ? "invariant" : candidates === 0 ? "not-enabled" : "observation",
          ...(invariantBroken !== undefined ? { invariant: invariantBroken } : {}),
          candidates,
          ...(guard !== undefined ? { guard, guardCode } : {}),
          ...(closest ? { closest } : {}),
          window: window ?? { from: frontier.values().next().value!.state }
        })
      }
      frontier = next
      maxFrontier = Math.max(maxFrontier, frontier.size)
      seq = event.seq
    }
  } catch (e) {
    // A step of the model that would pass the packed bounds of the header's config (a term above
    // maxTerm, a log longer than maxLogLen): the header does not cover the trace.
    if (!(e instanceof RangeError)) throw e
    throw new TraceInputError(file, lineNo, "config", `this event takes the model past the bounds in the header (${e.message}); raise the bound it passes (replcheck describe ${protocol.name} gives the ranges)`)
  }
  if (model === undefined) throw new TraceInputError(file, Math.max(1, lineNo), "kind", "the trace has no header")
  const result = finish(null)
  if (!keep) return result
  const path: TraceStep[] = []
  for (let node = frontier.values().next().value?.path ?? null; node !== null; node = node.parent) path.unshift(node.step)
  return { ...result, path }
}

/** The frontier and every state reachable from it by up to `budget` internal steps. */
function close(model: Model, frontier: Map<string, Entry>, internal: ReadonlySet<number>, budget: number, keep: boolean) {
  const closure = new Map<string, Entry>(frontier)
  let layer = [...closure.values()]
  for (let b = 0; b < budget && internal.size > 0 && layer.length > 0; b++) {
    const grown: typeof layer = []
    for (const from of layer) {
      for (const step of successorsOf(model, from.state, internal)) {
        const k = key(step.state)
        if (closure.has(k)) continue
        const violation =
          from.violation ??
          model.stepInvariants.find((i) => !i.holds(from.state, step.state))?.name ??
          model.stateInvariants.find((i) => !i.holds(step.state))?.name
        const entry: Entry = { state: step.state, violation, path: keep ? { step, parent: from.path } : null }
        closure.set(k, entry)
        grown.push(entry)
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

/** A whole-state diff between two readable states (every variable that differs). */
function diffStates(model: Model, expected: Uint8Array, observed: Uint8Array): FieldDiff[] {
  const a = model.codec.decode(expected) as Record<string, unknown>
  const b = model.codec.decode(observed) as Record<string, unknown>
  const sets = new Set(model.codec.setVariables ?? [])
  return Object.keys(a).flatMap((field) =>
    sameValue(a[field], b[field], sets.has(field)) ? [] : [{ field, expected: plain(a[field]), observed: plain(b[field]), ...(sets.has(field) ? { asSet: true as const } : {}) }]
  )
}

/**
 * Validates an ITF trace (a sequence of full states, e.g. from Quint's simulator or from
 * replcheck): the first state must be initial and each next state a successor of the one before.
 * The bounds are the trace's `#meta.config` when present, else the protocol's defaults.
 */
export function validateItf(protocol: Protocol, doc: unknown, file: string): ValidationResult {
  const started = performance.now()
  const d = doc as { "#meta"?: { config?: unknown }; states?: unknown }
  if (d === null || typeof d !== "object" || !Array.isArray(d.states)) throw new TraceInputError(file, 1, "states", "an ITF trace needs a states array")
  const given = (d["#meta"]?.config ?? {}) as Record<string, number>
  for (const field of Object.keys(given)) {
    if (!(field in protocol.bounds)) throw new TraceInputError(file, 1, `#meta.config.${field}`, `not a bound of ${protocol.name} (bounds: ${Object.keys(protocol.bounds).join(", ")})`)
  }
  const read = readConfig(protocol.bounds, given)
  if (!read.ok) throw new TraceInputError(file, 1, "#meta.config", read.message)
  const config = read.config
  const model = protocol.build(config, "base", { symmetry: false })
  // A variable the model does not have is bad input, not something to ignore.
  const decode = itfStateReader(model)
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
    const bytes = new Uint8Array(model.widthBytes)
    try {
      model.codec.encode(readable.state, bytes)
    } catch (e) {
      throw new TraceInputError(file, 1, `states[${k}]`, (e as Error).message)
    }
    return bytes
  })
  const reject = (k: number, from: Uint8Array, closest?: { step: TraceStep; diff: FieldDiff[] }, invariant?: string): ValidationResult => ({
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
      window: { from, ...(closest ? { step: closest.step } : {}) }
    }
  })
  if (states.length === 0) throw new TraceInputError(file, 1, "states", "the trace has no states")
  if (!model.initialStates().some((s) => Buffer.from(s).equals(Buffer.from(states[0]!)))) return reject(0, states[0]!)
  for (let k = 1; k < states.length; k++) {
    const prev = states[k - 1]!
    const next = states[k]!
    const successors = successorsOf(model, prev)
    const matched = successors.find((step) => Buffer.from(step.state).equals(Buffer.from(next)))
    if (matched === undefined) {
      // Only a rejection needs the diffs (decoding every successor is most of the work).
      let closest: { step: TraceStep; diff: FieldDiff[] } | undefined
      for (const step of successors) {
        const diff = diffStates(model, step.state, next)
        if (closest === undefined || diff.length < closest.diff.length) closest = { step, diff }
      }
      return reject(k, prev, closest)
    }
    const broken = model.stepInvariants.find((i) => !i.holds(prev, next))?.name ?? model.stateInvariants.find((i) => !i.holds(next))?.name
    if (broken !== undefined) return reject(k, prev, { step: matched, diff: [] }, broken)
  }
  return { protocol: protocol.name, config, events: states.length - 1, accepted: true, rejection: null, maxFrontier: 1, seconds: (performance.now() - started) / 1000 }
}
