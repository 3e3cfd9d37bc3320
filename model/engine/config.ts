/**
 * Decoding a partial configuration of a protocol's bounds (bounds.ts: plain data) goes through
 * one Effect Schema, so the CLI, `replcheck list`, ITF metadata and tests agree on the rules and
 * the messages.
 */
import { Either, ParseResult, Schema } from "effect"
import { flagName, type Bounds } from "./bounds.js"

export { flagName, type BoundSpec, type Bounds } from "./bounds.js"

const schemas = new WeakMap<Bounds, Schema.Schema<Record<string, number>, Partial<Record<string, number>>>>()

function schemaOf(bounds: Bounds) {
  let schema = schemas.get(bounds)
  if (schema === undefined) {
    const fields: Record<string, Schema.PropertySignature.All> = {}
    for (const [name, spec] of Object.entries(bounds)) {
      // The description stays out of the schema so parse errors read "Expected a number between ...".
      fields[name] = Schema.optionalWith(Schema.Int.pipe(Schema.between(spec.min, spec.max)), { default: () => spec.default })
    }
    schema = Schema.Struct(fields) as unknown as Schema.Schema<Record<string, number>, Partial<Record<string, number>>>
    schemas.set(bounds, schema)
  }
  return schema
}

/** Decodes a partial config (missing bounds take their defaults); on failure one line naming the flag and the rule. */
export function decodeConfig(bounds: Bounds, input: Readonly<Record<string, unknown>>): Either.Either<Record<string, number>, string> {
  for (const name of Object.keys(input)) {
    if (!(name in bounds)) return Either.left(`config.${name}: not a bound (bounds: ${Object.keys(bounds).join(", ")})`)
  }
  return Schema.decodeUnknownEither(schemaOf(bounds))(input).pipe(
    Either.mapLeft((error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      const field = issue?.path[0]
      const where = typeof field === "string" ? `--${flagName(field)}` : "config"
      return `${where}: ${issue?.message ?? "invalid"}`
    })
  )
}
