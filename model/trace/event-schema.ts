/**
 * A protocol's own trace events, as an Effect Schema derived from its declaration: each event
 * names one of the protocol's actions (or an event its trace mapping defines), with that action's
 * arguments and the protocol's variables in the plain JSON that the validator reads (integers as
 * numbers, enum values as their names, sets as arrays in any order, records as objects, sequences
 * and arrays as arrays). A node variable is observed as an array over the node ids 1..n, or, in an
 * event that names its node, as that node's value alone. Every argument and variable is optional
 * (an event may observe any part of the state); an unknown one is an error.
 *
 * The ranges of values depend on the bounds a trace declares in its header, so the schema gives
 * shapes and names only; `replcheck describe <protocol> [bounds]` prints the ranges. npm run
 * schemas writes it to traces/schema/<protocol>.events.schema.json for each built-in protocol.
 */
import { Schema } from "effect"
import type { KitModel, Protocol } from "../kit/index.js"
import type { Type } from "../kit/types.js"

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any value's schema
type AnySchema = Schema.Schema<any, any>

/** A value of type `t` as a trace's plain JSON carries it. */
export function plainSchema(t: Type): AnySchema {
  switch (t.kind) {
    case "uint":
      return Schema.Int.pipe(Schema.nonNegative())
    case "range":
      return Schema.Int
    case "node":
      return Schema.Int.pipe(Schema.nonNegative()).annotations({ description: t.optional ? "a node id, or 0 for none" : "a node id" })
    case "bool":
      return Schema.Boolean
    case "enum":
      return Schema.Literal(...t.names)
    case "record":
      return Schema.Struct(Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, plainSchema(f)])))
    case "seq":
    case "array":
      return Schema.Array(plainSchema(t.elem))
    case "set":
      return Schema.Array(plainSchema(t.elem)).annotations({ description: "a set: its elements in any order" })
  }
}

const paramSchema = (kind: "node" | "nodeSet" | "int" | undefined): AnySchema =>
  kind === "node"
    ? Schema.Int.pipe(Schema.positive()).annotations({ description: "a node id" })
    : kind === "nodeSet"
      ? Schema.Array(Schema.Int.pipe(Schema.positive())).annotations({ description: "a set of node ids, in any order" })
      : kind === "int"
        ? Schema.Int
        : Schema.Unknown

/** The schema of one event line of `protocol`'s traces (built at its default bounds: shapes do not depend on them). */
export function protocolEventSchema(protocol: Protocol, model: KitModel = protocol.build(protocol.defaults)): AnySchema {
  // One definition for every event (an identifier puts it in the JSON Schema's $defs once).
  const observed = Schema.partial(
    Schema.Struct(
      Object.fromEntries(
        model.layout.fields.map((f) => {
          const value = plainSchema(f.type)
          const described = `${f.ghost ? "ghost: for invariants, an implementation need not log it. " : ""}${f.scope === "node" ? "per node: an array over node ids 1..n, or one node's value in an event with a node" : ""}`
          return [f.name, (f.scope === "node" ? Schema.Union(Schema.Array(value), value) : value).annotations(described ? { description: described } : {})]
        })
      )
    )
  ).annotations({ identifier: `${protocol.name}Observed`, description: `what an event observes of the ${protocol.name} state (any of its variables)` })
  const eventOf = (name: string, families: ReadonlyArray<KitModel["families"][number]>) => {
    // An event mapped to no step (a progress line that only observes) may name a node or none.
    const first = families[0]
    if (first === undefined) {
      return Schema.Struct({ kind: Schema.Literal("event"), seq: Schema.Int.pipe(Schema.positive()), node: Schema.NullOr(Schema.Int.pipe(Schema.positive())), action: Schema.Literal(name), args: Schema.Struct({}), observed }).annotations({
        title: name,
        description: "an event that stands for no step: it only observes"
      })
    }
    const nodeParam = first.paramKinds?.[0] === "node" ? first.params[0] : undefined
    const params: Record<string, AnySchema> = {}
    for (const f of families) f.params.forEach((p, k) => p !== nodeParam && (params[p] ??= paramSchema(f.paramKinds?.[k])))
    return Schema.Struct({
      kind: Schema.Literal("event"),
      seq: Schema.Int.pipe(Schema.positive()),
      node: nodeParam === undefined ? Schema.Null : Schema.Int.pipe(Schema.positive()).annotations({ description: `the acting node (the action's ${nodeParam})` }),
      action: Schema.Literal(name),
      args: Schema.partial(Schema.Struct(params)),
      observed
    }).annotations({ title: name })
  }
  const byName = new Map(model.families.map((f) => [f.name, f]))
  const events = [
    ...model.families.map((f) => eventOf(f.name, [f])),
    ...Object.entries(protocol.traceMapping?.events ?? {}).map(([event, actions]) => eventOf(event, actions.map((a) => byName.get(a)!).filter((f) => f !== undefined)))
  ]
  return Schema.Union(...events).annotations({
    identifier: `${protocol.name}TraceEvent`,
    title: `an event line of a ${protocol.name} trace`,
    description: `one step of the ${protocol.name} protocol: ${protocol.summary}`
  })
}
