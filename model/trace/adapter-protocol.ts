/**
 * The adapter protocol (version 1): how `replcheck conform` drives a foreign implementation.
 * NDJSON over the adapter process's stdin (requests) and stdout (replies), one reply per
 * request; anything the adapter writes to stderr is passed through. Defined once here as Effect
 * Schemas; their JSON Schemas are in traces/schema/.
 *
 *   -> {"type":"hello","version":1,"protocol":"rollback","config":{...},"nodes":[1,2,3]}
 *   <- {"type":"hello","version":1,"implementation":"python rollback (correct)"}
 *   -> {"type":"reset"}                          <- {"type":"state","observed":{...}}
 *   -> {"type":"step","action":"ClientWrite","node":1,"args":{"numEntries":1}}
 *   <- {"type":"state","observed":{...}}  or  {"type":"error","message":"..."}
 *   -> {"type":"bye"}                            (the adapter exits)
 *
 * Implementation-driven runs (`conform --implementation-driven`) ask the adapter to take a step of
 * its own choosing instead, with a seed for any random choice it makes, and to say which:
 *   -> {"type":"propose","seed":12345}
 *   <- {"type":"took","action":"BecomePrimaryByMagic","node":2,"args":{"ayeVoters":[2,3]},"observed":{...}}
 *   or {"type":"idle"}  (it has nothing to do: the run ends)
 *
 * `observed` is any subset of the model's variables, whole: a node variable as an array indexed
 * by node (node 1 first), a global one as its value; sets are arrays in any order.
 */
import { Schema } from "effect"

export const ADAPTER_VERSION = 1

export const AdapterRequest = Schema.Union(
  Schema.Struct({
    type: Schema.Literal("hello"),
    version: Schema.Literal(ADAPTER_VERSION),
    protocol: Schema.String,
    config: Schema.Record({ key: Schema.String, value: Schema.Int }),
    nodes: Schema.Array(Schema.Int)
  }),
  Schema.Struct({ type: Schema.Literal("reset") }),
  Schema.Struct({
    type: Schema.Literal("step"),
    action: Schema.String,
    node: Schema.NullOr(Schema.Int),
    args: Schema.Record({ key: Schema.String, value: Schema.Unknown })
  }),
  Schema.Struct({ type: Schema.Literal("propose"), seed: Schema.Int.pipe(Schema.nonNegative()) }),
  Schema.Struct({ type: Schema.Literal("bye") })
).annotations({ identifier: "AdapterRequest", description: "What replcheck conform sends an adapter, one per line." })
export type AdapterRequest = typeof AdapterRequest.Type

export const AdapterReply = Schema.Union(
  Schema.Struct({ type: Schema.Literal("hello"), version: Schema.Literal(ADAPTER_VERSION), implementation: Schema.String }),
  Schema.Struct({ type: Schema.Literal("state"), observed: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }),
  Schema.Struct({ type: Schema.Literal("error"), message: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("took"),
    action: Schema.String,
    node: Schema.NullOr(Schema.Int),
    args: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
    observed: Schema.Record({ key: Schema.String, value: Schema.Unknown })
  }),
  Schema.Struct({ type: Schema.Literal("idle") })
).annotations({ identifier: "AdapterReply", description: "What an adapter answers, one line per request." })
export type AdapterReply = typeof AdapterReply.Type
