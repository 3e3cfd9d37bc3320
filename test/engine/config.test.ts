/**
 * readConfig (plain code, so that `validate` starts without Effect) against the Effect Schema
 * that decoded configurations before it: the same configurations accepted, the same values, and
 * the same one-line message for each rejected one.
 */
import { describe, expect } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { Either, ParseResult, Schema } from "effect"
import { flagName, readConfig, type Bounds } from "../../model/engine/bounds.js"
import { decodeConfig } from "../../model/engine/config.js"

const bounds: Bounds = {
  servers: { default: 3, min: 1, max: 7, description: "servers" },
  maxLogLen: { default: 2, min: 0, max: 15, description: "log length" },
  depth: { default: -1, min: -5, max: 5, description: "a range below zero" }
}

/** The Schema decodeConfig was: each bound an optional integer in its range, its default when absent. */
function bySchema(input: Record<string, unknown>): { ok: true; config: Record<string, number> } | { ok: false; message: string } {
  for (const name of Object.keys(input)) if (!Object.hasOwn(bounds, name)) return { ok: false, message: `config.${name}: not a bound (bounds: ${Object.keys(bounds).join(", ")})` }
  const fields: Record<string, Schema.PropertySignature.All> = {}
  for (const [name, spec] of Object.entries(bounds)) fields[name] = Schema.optionalWith(Schema.Int.pipe(Schema.between(spec.min, spec.max)), { default: () => spec.default })
  const decoded = Schema.decodeUnknownEither(Schema.Struct(fields) as unknown as Schema.Schema<Record<string, number>, unknown>)(input)
  if (Either.isRight(decoded)) return { ok: true, config: decoded.right as Record<string, number> }
  const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]!
  return { ok: false, message: `--${flagName(String(issue.path[0]))}: ${issue.message}` }
}

const value = fc.oneof(
  fc.integer({ min: -20, max: 20 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 1.5, -0.25, 1e300, 2 ** 53, -(2 ** 53)),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined)
)
const input = fc.dictionary(fc.constantFrom("servers", "maxLogLen", "depth", "colour", "constructor"), value, { maxKeys: 3 })

describe("readConfig", () => {
  test.prop([input], { numRuns: 2000 })("accepts, defaults and rejects as the Effect Schema did, with its messages", (given) => {
    expect(readConfig(bounds, given)).toEqual(bySchema(given))
  })
  test.prop([input], { numRuns: 200 })("decodeConfig is readConfig as an Either", (given) => {
    const r = readConfig(bounds, given)
    const d = decodeConfig(bounds, given)
    expect(Either.isRight(d) ? { ok: true, config: d.right } : { ok: false, message: d.left }).toEqual(r)
  })
  test("an inherited name such as constructor is not a bound", () => {
    expect(readConfig(bounds, { constructor: 1 })).toEqual({ ok: false, message: "config.constructor: not a bound (bounds: servers, maxLogLen, depth)" })
  })
})
