/**
 * Bounds of a protocol: integer fields with a default, a range and a description, decoded
 * through one Effect Schema so the CLI, `replcheck list`, ITF metadata and tests agree.
 */
import { Either, ParseResult, Schema } from "effect"

export interface BoundSpec {
  readonly default: number
  readonly min: number
  readonly max: number
  readonly description: string
}

export interface ConfigSpec<C extends Record<string, number>> {
  readonly fields: { readonly [K in keyof C]: BoundSpec }
  readonly schema: Schema.Schema<C, Partial<C>>
  readonly defaults: C
}

/** Builds a config spec from its fields; missing fields take their defaults. */
export function defineConfig<F extends Record<string, BoundSpec>>(
  fields: F
): ConfigSpec<{ [K in keyof F]: number }> {
  const schemaFields: Record<string, Schema.PropertySignature.All> = {}
  const defaults: Record<string, number> = {}
  for (const [name, spec] of Object.entries(fields)) {
    schemaFields[name] = Schema.optionalWith(
      // The description stays out of the schema so parse errors read "Expected a number between ...".
      Schema.Int.pipe(Schema.between(spec.min, spec.max)),
      { default: () => spec.default }
    )
    defaults[name] = spec.default
  }
  return {
    fields,
    schema: Schema.Struct(schemaFields) as unknown as Schema.Schema<{ [K in keyof F]: number }, Partial<{ [K in keyof F]: number }>>,
    defaults: defaults as { [K in keyof F]: number }
  }
}

/** camelCase field name to its kebab-case flag, e.g. maxLogLen -> max-log-len. */
export function flagName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())
}

/** Decodes a partial config; on failure returns one line naming the flag and the rule. */
export function decodeConfig<C extends Record<string, number>>(
  spec: ConfigSpec<C>,
  input: Partial<C>
): Either.Either<C, string> {
  return Schema.decodeUnknownEither(spec.schema)(input).pipe(
    Either.mapLeft((error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      const field = issue?.path[0]
      const where = typeof field === "string" ? `--${flagName(field)}` : "config"
      return `${where}: ${issue?.message ?? "invalid"}`
    })
  )
}
