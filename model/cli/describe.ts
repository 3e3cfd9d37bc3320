/**
 * `replcheck describe <protocol> [bound flags]`: what an implementation's trace of the protocol
 * must look like, from the protocol's declaration alone: the header, every action with its
 * arguments (and which one is the event's node), every variable with its JSON form at these
 * bounds, the trace mapping, and for each action an example event taken from the model itself
 * (the first instance a breadth-first walk from the initial states meets). An example one step
 * from an initial state is, with the header, a whole trace the validator accepts.
 */
import { flagName } from "../engine/config.js"
import type { Model } from "../engine/model.js"
import { successorsOf } from "../engine/path.js"
import type { KitModel, Protocol } from "../kit/index.js"
import type { Type } from "../kit/types.js"
import { TRACE_FORMAT, TRACE_VERSION, type TraceEvent, type TraceHeader } from "../trace/events.js"

export interface Description {
  readonly protocol: string
  readonly summary: string
  /** The variant described ("base" unless asked). */
  readonly variant: string
  readonly config: Record<string, number>
  readonly header: TraceHeader
  readonly actions: ReadonlyArray<{
    readonly name: string
    /** The argument that is the event's `node` (absent: the event's node is null). */
    readonly node?: string
    readonly args: ReadonlyArray<{ readonly name: string; readonly type: string }>
    /** An event of this action, and how many steps from an initial state it was found (absent: none found within the walk's budget). */
    readonly example?: { readonly event: TraceEvent; readonly depth: number }
  }>
  readonly variables: ReadonlyArray<{ readonly name: string; readonly perNode: boolean; readonly ghost: boolean; readonly type: string; readonly initial: unknown }>
  readonly internal: readonly string[]
  readonly events: Readonly<Record<string, readonly string[]>>
  readonly schema: string
}

/**
 * A type's JSON form in a trace, in words. Validation bounds no size (the value backend), so
 * integers and arrays have no upper limit here; only node ids depend on the bounds.
 */
export function typeText(t: Type, nodes: number): string {
  switch (t.kind) {
    case "uint":
      return "integer >= 0"
    case "range":
      return `integer >= ${t.min}`
    case "node":
      return t.optional ? `node id 1..${nodes}, or 0 for none` : `node id 1..${nodes}`
    case "bool":
      return "true | false"
    case "enum":
      return t.names.map((n) => JSON.stringify(n)).join(" | ")
    case "record":
      return `{${Object.entries(t.fields)
        .map(([k, f]) => `${k}: ${typeText(f, nodes)}`)
        .join(", ")}}`
    case "seq":
      return `array (${typeText(t.elem, nodes)})`
    case "array":
      return `array of ${t.length} (${typeText(t.elem, nodes)})`
    case "set":
      return `set, as an array in any order, of (${typeText(t.elem, nodes)})`
  }
}

const ARG_TYPES = { node: "node id", nodeSet: "set of node ids, as an array in any order", int: "integer" } as const

const plain = (v: unknown): unknown =>
  v instanceof Set ? [...v].map(plain) : Array.isArray(v) ? v.map(plain) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v

/** The event a step of `family` from `before` to `after` is, observing the whole state (node variables at the event's node). */
function eventOf(model: Model, action: { readonly name: string; readonly args: Record<string, unknown> }, after: Uint8Array): TraceEvent {
  const family = model.families.find((f) => f.name === action.name)!
  const first = family.params[0]
  const node = first !== undefined && family.paramKinds?.[0] === "node" ? (action.args[first] as number) : null
  const args = Object.fromEntries(Object.entries(action.args).filter(([k]) => node === null || k !== first).map(([k, v]) => [k, plain(v)]))
  const readable = model.codec.decode(after) as Record<string, unknown>
  const nodeVars = new Set(model.codec.nodeVariables)
  const observed = Object.fromEntries(Object.entries(readable).map(([k, v]) => [k, plain(nodeVars.has(k) && node !== null ? (v as unknown[])[node - 1] : v)]))
  return { kind: "event", seq: 1, node, action: action.name, args, observed }
}

/** The first instance of each action a breadth-first walk meets, within `budget` states. */
function examples(model: Model, budget: number): Map<string, { event: TraceEvent; depth: number }> {
  const found = new Map<string, { event: TraceEvent; depth: number }>()
  const seen = new Set<string>()
  let level: Uint8Array[] = model.initialStates().map((s) => s.slice())
  for (let depth = 1; level.length > 0 && seen.size < budget && found.size < model.families.length; depth++) {
    const next: Uint8Array[] = []
    for (const state of level) {
      for (const s of successorsOf(model, state)) {
        if (!found.has(s.action!.name)) found.set(s.action!.name, { event: eventOf(model, s.action!, s.state), depth })
        const key = Buffer.from(s.state).toString("latin1")
        if (!seen.has(key) && model.constraint(s.state) && seen.size < budget) {
          seen.add(key)
          next.push(s.state)
        }
      }
    }
    level = next
  }
  return found
}

export function describeProtocol(protocol: Protocol, config: Record<string, number>, budget = 50_000, variant = "base"): Description {
  const model = protocol.build(config, variant) as KitModel
  const nodes = model.layout.nodes
  const found = examples(model, budget)
  const initial = model.codec.decode(model.initialStates()[0]!) as Record<string, unknown>
  return {
    protocol: protocol.name,
    summary: protocol.summary,
    variant,
    config,
    header: { kind: "header", format: TRACE_FORMAT, version: TRACE_VERSION, protocol: protocol.name, config, nodes: Array.from({ length: nodes }, (_, k) => k + 1) },
    actions: model.families.map((f) => {
      const node = f.paramKinds?.[0] === "node" ? f.params[0] : undefined
      const example = found.get(f.name)
      return {
        name: f.name,
        ...(node !== undefined ? { node } : {}),
        args: f.params.filter((p) => p !== node).map((p) => ({ name: p, type: ARG_TYPES[f.paramKinds?.[f.params.indexOf(p)] ?? "int"] ?? "any JSON value" })),
        ...(example ? { example } : {})
      }
    }),
    variables: model.layout.fields.map((f) => ({ name: f.name, perNode: f.scope === "node", ghost: f.ghost, type: typeText(f.type, nodes), initial: plain(initial[f.name]) })),
    internal: protocol.traceMapping?.internal ?? [],
    events: protocol.traceMapping?.events ?? {},
    schema: `traces/schema/${protocol.name}.events.schema.json`
  }
}

export function renderDescription(d: Description): string {
  const bounds = Object.entries(d.config).map(([k, v]) => `--${flagName(k)} ${v}`).join(" ")
  const out = [
    `${d.protocol}: ${d.summary}`,
    `at ${bounds}`,
    ...(d.variant !== "base" ? [`variant ${d.variant}: validate its traces with --variant ${d.variant} (the events schema lists the base model's actions)`] : []),
    "",
    "A trace is NDJSON: a header line, then one event line per step (traces/schema/trace-line.schema.json;",
    `this protocol's events: ${d.schema}). The header at these bounds:`,
    `  ${JSON.stringify(d.header)}`,
    'An event: {"kind":"event","seq":<1, 2, ...>,"node":<the acting node, or null>,"action":<name>,"args":{...},"observed":{...}}.',
    "Every argument and variable is optional in an event: give what the implementation knows; a name not listed below is an error.",
    "Validation bounds no size: integers go up to 2^53, arrays and sets may be of any length; the header's bounds fix the node ids",
    "and any choice or guard an action takes from a bound.",
    "",
    "Actions (node: which argument is the event's node; the rest go in args):"
  ]
  for (const a of d.actions) {
    const args = a.args.map((x) => `${x.name}: ${x.type}`).join(", ")
    out.push(`  ${a.name}${a.node ? ` (node: ${a.node})` : " (node: null)"}${args ? `  args: ${args}` : "  args: none"}`)
    if (a.example) {
      const { observed: _o, ...rest } = a.example.event
      out.push(`    e.g. ${JSON.stringify(rest)}${a.example.depth === 1 ? " (one step from the initial state)" : ` (${a.example.depth} steps in)`}`)
    } else out.push("    (no example: not reached near the initial state)")
  }
  out.push("", 'Variables ("observed"; a per-node variable is an array over node ids 1..n, or that node\'s value alone in an event with a node):')
  for (const v of d.variables) {
    out.push(`  ${v.name}${v.perNode ? "[node]" : ""}${v.ghost ? " (ghost: for invariants; an implementation need not log it)" : ""}: ${v.type}`)
    out.push(`    initially ${JSON.stringify(v.initial)}`)
  }
  out.push("", "Trace mapping:")
  out.push(d.internal.length > 0 ? `  steps an implementation may leave unlogged (validate --internal-steps N takes up to N of them between two events): ${d.internal.join(", ")}` : "  every step is logged: no internal steps")
  const events = Object.entries(d.events)
  if (events.length === 0) out.push("  every event is one action of the model")
  for (const [name, steps] of events) out.push(steps.length === 0 ? `  ${name}: an event that observes only, no step` : `  ${name}: stands for ${steps.join(", then ")}, all in this order (it observes the state after the last)`)
  return out.join("\n")
}
