/**
 * A protocol's recorded expectations (after tlaplus/Examples' manifest.json): named runs with
 * their bounds and the result each must give. The verdict table and the tests read them.
 */
import { Schema } from "effect"

export const ManifestRun = Schema.Struct({
  name: Schema.String,
  variant: Schema.String,
  /** Overrides of the protocol's default bounds. */
  config: Schema.Record({ key: Schema.String, value: Schema.Int }),
  /** The invariants to check; all of the model's when absent. */
  invariants: Schema.optional(Schema.Array(Schema.String)),
  result: Schema.Literal("success", "violation"),
  violated: Schema.optional(Schema.String),
  traceLength: Schema.optional(Schema.Int),
  /** Whether the counterexample is committed under traces/<protocol>/<name>.itf.json and .txt. */
  trace: Schema.optional(Schema.Boolean),
  generated: Schema.optional(Schema.Int),
  distinct: Schema.optional(Schema.Int),
  depth: Schema.optional(Schema.Int)
})
export type ManifestRun = typeof ManifestRun.Type

export const Manifest = Schema.Struct({
  protocol: Schema.String,
  description: Schema.optional(Schema.String),
  /** Where the recorded counts come from (e.g. TLC on the TLA+ twin). */
  reference: Schema.optional(Schema.String),
  runs: Schema.Array(ManifestRun)
})
export type Manifest = typeof Manifest.Type
