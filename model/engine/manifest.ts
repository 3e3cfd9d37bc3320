/**
 * A protocol's recorded expectations (after tlaplus/Examples' manifest.json): named runs with
 * their bounds and the result each must give. `replcheck verdicts` runs them and says whether
 * each result is the recorded one; the tests check them too. One shape for every protocol.
 */
import { Either, ParseResult, Schema } from "effect"

export const ManifestRun = Schema.Struct({
  name: Schema.String,
  variant: Schema.optionalWith(Schema.String, { default: () => "base" }),
  /** Overrides of the protocol's default bounds. */
  config: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Int }), { default: () => ({}) }),
  symmetry: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** The invariants to check; all of the model's when absent. */
  invariants: Schema.optional(Schema.Array(Schema.String)),
  /**
   * A liveness run: the temporal properties to check (under the model's fairness) instead of the
   * invariants; `violated` names the property, `traceLength` the lasso's states, `distinct` the
   * reachable graph's states.
   */
  liveness: Schema.optional(Schema.Array(Schema.String)),
  result: Schema.Literal("success", "violation"),
  violated: Schema.optional(Schema.String),
  /** States in the shortest counterexample. */
  traceLength: Schema.optional(Schema.Int),
  /** Whether the counterexample is committed under traces/<protocol>/<name>.itf.json and .txt. */
  trace: Schema.optional(Schema.Boolean),
  generated: Schema.optional(Schema.Int),
  distinct: Schema.optional(Schema.Int),
  depth: Schema.optional(Schema.Int),
  /** A run of more than a few seconds: `verdicts` runs it, the test suite leaves it to the benchmarks. */
  slow: Schema.optional(Schema.Boolean),
  /** Free text, e.g. where a count comes from. */
  note: Schema.optional(Schema.String),
  /** What the reference tool measured (free form). */
  tlc: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
export type ManifestRun = typeof ManifestRun.Type

export const Manifest = Schema.Struct({
  protocol: Schema.String,
  description: Schema.optional(Schema.String),
  /** The specification the model follows, when it is someone else's. */
  source: Schema.optional(Schema.String),
  /** Where the recorded counts come from (e.g. TLC on the TLA+ twin). */
  reference: Schema.optional(Schema.String),
  runs: Schema.Array(ManifestRun)
})
export type Manifest = typeof Manifest.Type

/** Decodes a manifest; on failure one line naming the field. */
export function decodeManifest(raw: unknown, where: string): Either.Either<Manifest, string> {
  return Schema.decodeUnknownEither(Manifest, { onExcessProperty: "error" })(raw).pipe(
    Either.mapLeft((e) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(e)[0]
      return `${where}: manifest${issue && issue.path.length > 0 ? "." + issue.path.join(".") : ""}: ${issue?.message ?? "invalid"}`
    })
  )
}
