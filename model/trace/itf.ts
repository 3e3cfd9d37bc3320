/**
 * The Informal Trace Format (ITF) of Apalache and Quint: JSON with tagged values
 * (`#bigint`, `#set`, `#map`, `#tup`). Integers are always written as `#bigint`, as Quint does;
 * plain JSON numbers are accepted on input, as the format allows.
 * Format description: https://apalache-mc.org/docs/adr/015adr-trace.html
 */
import { ParseResult, Schema } from "effect"

export { renderValue, toItfValue, type ItfState, type ItfStateMeta, type ItfTrace, type ItfValue } from "./itf-values.js"

const BigintJson = Schema.Struct({ "#bigint": Schema.String.pipe(Schema.pattern(/^-?[0-9]+$/)) })

/** An ITF integer (`{"#bigint": "3"}` or a plain JSON integer) as a JS safe integer. */
export const ItfInt: Schema.Schema<number, { readonly "#bigint": string } | number> = Schema.transformOrFail(
  Schema.Union(BigintJson, Schema.Int),
  Schema.Int,
  {
    strict: true,
    decode: (input, _, ast) => {
      if (typeof input === "number") return ParseResult.succeed(input)
      const n = Number(input["#bigint"])
      return Number.isSafeInteger(n)
        ? ParseResult.succeed(n)
        : ParseResult.fail(new ParseResult.Type(ast, input, `integer ${input["#bigint"]} is out of range`))
    },
    encode: (n) => ParseResult.succeed({ "#bigint": String(n) })
  }
)

/** An ITF set as a JS array (order as written; encoders write a canonical order). */
export const ItfSet = <A, I>(item: Schema.Schema<A, I>) =>
  Schema.transform(Schema.Struct({ "#set": Schema.Array(item) }), Schema.typeSchema(Schema.Array(item)), {
    strict: true,
    decode: (s) => s["#set"],
    encode: (elems) => ({ "#set": elems })
  })

/**
 * A TLA+ function whose domain is the node ids 1..n (ITF `#map`), as a JS array indexed by
 * node position. Decoding rejects a map whose keys are not exactly 1..n.
 */
export const ItfNodeMap = <A, I>(value: Schema.Schema<A, I>) =>
  Schema.transformOrFail(
    Schema.Struct({ "#map": Schema.Array(Schema.Tuple(ItfInt, value)) }),
    Schema.typeSchema(Schema.Array(value)),
    {
      strict: true,
      decode: (m, _, ast) => {
        const entries = [...m["#map"]].sort((a, b) => a[0] - b[0])
        const ok = entries.every(([k], i) => k === i + 1)
        return ok
          ? ParseResult.succeed(entries.map(([, v]) => v))
          : ParseResult.fail(new ParseResult.Type(ast, m, "a node map must have the keys 1..n"))
      },
      encode: (values) => ParseResult.succeed({ "#map": values.map((v, i) => [i + 1, v] as const) })
    }
  )

