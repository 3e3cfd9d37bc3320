/**
 * The JSON Schemas of every trace format, of each built-in protocol's events and of `check --json`, generated from their Effect Schemas. `npm run schemas`
 * writes them to traces/schema/; a test fails when the committed files differ.
 */
import { JSONSchema } from "effect"
import { CheckReport, SimulationReport, LivenessReport } from "../cli/check-report.js"
import { AdapterReply, AdapterRequest } from "./adapter-protocol.js"
import { builtInProtocols } from "../protocols/index.js"
import { protocolEventSchema } from "./event-schema.js"
import { TraceEvent, TraceHeader, TraceLine } from "./events.js"

/** File name (under traces/schema/) to its contents. */
export function jsonSchemaFiles(): Record<string, string> {
  const text = (schema: object) => JSON.stringify(schema, null, 2) + "\n"
  return {
    "trace-header.schema.json": text(JSONSchema.make(TraceHeader)),
    "trace-event.schema.json": text(JSONSchema.make(TraceEvent)),
    "trace-line.schema.json": text(JSONSchema.make(TraceLine)),
    "adapter-request.schema.json": text(JSONSchema.make(AdapterRequest)),
    "adapter-reply.schema.json": text(JSONSchema.make(AdapterReply)),
    "check-report.schema.json": text(JSONSchema.make(CheckReport)),
    "simulation-report.schema.json": text(JSONSchema.make(SimulationReport)),
    "liveness-report.schema.json": text(JSONSchema.make(LivenessReport)),
    // Each built-in protocol's own events: its action names, their arguments and its variables.
    ...Object.fromEntries(builtInProtocols.map((p) => [`${p.name}.events.schema.json`, text(JSONSchema.make(protocolEventSchema(p)))]))
  }
}
