/**
 * The implementation-trace format (NDJSON): one header line, then one event per line. Defined
 * once here as Effect Schemas; the JSON Schemas other languages use (traces/schema/) are
 * generated from these by `npm run schemas`. The reference implementation (impl/) imports this
 * module and nothing else of the checker.
 *
 * A line is a JSON object with a `kind`:
 *
 *   {"kind":"header","format":"replcheck-trace","version":1,"protocol":"rollback",
 *    "config":{"servers":3,"maxTerm":3,"maxLogLen":2,"maxClientWriteSize":1},"nodes":[1,2,3]}
 *   {"kind":"event","seq":1,"node":1,"action":"ClientWrite","args":{"numEntries":1},
 *    "observed":{"log":[{"term":1}]}}
 *
 * `observed` holds any subset of the state's variables after the event, as plain JSON: for a
 * variable that is a function of a node (e.g. `log`), the value at the event's `node`; for a
 * global variable (e.g. `committedEntries`), its whole value. Sets are JSON arrays in any order.
 */
import { Schema } from "effect"
import { TRACE_FORMAT, TRACE_VERSION } from "./line-decoder.js"

export { TRACE_FORMAT, TRACE_VERSION }

/** Any JSON value. */
export const JsonValue: Schema.Schema<unknown> = Schema.Unknown.annotations({ description: "any JSON value" })

export const TraceHeader = Schema.Struct({
  kind: Schema.Literal("header"),
  format: Schema.Literal(TRACE_FORMAT),
  version: Schema.Literal(TRACE_VERSION),
  protocol: Schema.String.annotations({ description: "the replcheck protocol the trace is checked against, e.g. rollback" }),
  config: Schema.Record({ key: Schema.String, value: Schema.Int }).annotations({
    description: "the protocol's bounds the implementation ran within (camelCase field names, as in replcheck list --json)"
  }),
  nodes: Schema.Array(Schema.Int.pipe(Schema.positive())).annotations({ description: "the node ids, 1..n" })
}).annotations({ identifier: "TraceHeader", description: "The first line of a replcheck implementation trace." })
export type TraceHeader = typeof TraceHeader.Type

export const TraceEvent = Schema.Struct({
  kind: Schema.Literal("event"),
  seq: Schema.Int.pipe(Schema.positive()).annotations({ description: "1 for the first event, then +1 per line" }),
  node: Schema.NullOr(Schema.Int.pipe(Schema.positive())).annotations({ description: "the node that took the step, or null for a system-wide event" }),
  action: Schema.String.annotations({ description: "the implementation's name for the step; the protocol's trace mapping relates it to model actions" }),
  args: Schema.Record({ key: Schema.String, value: JsonValue }).annotations({ description: "the step's arguments (node ids, chosen values)" }),
  observed: Schema.Record({ key: Schema.String, value: JsonValue }).annotations({
    description: "any subset of the state's variables after the step: node variables at `node`, global variables whole"
  })
}).annotations({ identifier: "TraceEvent", description: "One step of an implementation, one per line after the header." })
export type TraceEvent = typeof TraceEvent.Type

/** Any line of a trace. */
export const TraceLine = Schema.Union(TraceHeader, TraceEvent).annotations({ identifier: "TraceLine" })
export type TraceLine = typeof TraceLine.Type
