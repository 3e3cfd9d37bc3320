/**
 * The Informal Trace Format (ITF) of Apalache and Quint: JSON with tagged values
 * (`#bigint`, `#set`, `#map`, `#tup`). Integers are always written as `#bigint`, as Quint does;
 * plain JSON numbers are accepted on input, as the format allows.
 * Format description: https://apalache-mc.org/docs/adr/015adr-trace.html
 */
import { ParseResult, Schema } from "effect"

/** Any ITF value, as JSON. */
export type ItfValue =
  | string
  | boolean
  | number
  | { readonly "#bigint": string }
  | { readonly "#set": ReadonlyArray<ItfValue> }
  | { readonly "#map": ReadonlyArray<readonly [ItfValue, ItfValue]> }
  | { readonly "#tup": ReadonlyArray<ItfValue> }
  | ReadonlyArray<ItfValue>
  | { readonly [field: string]: ItfValue }

/** The variables of one ITF state (its `#meta` excluded). */
export type ItfState = { readonly [variable: string]: ItfValue }

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

/** Metadata of one state in a replcheck trace: its index and the action that produced it. */
export interface ItfStateMeta {
  readonly index: number
  readonly action?: string
  readonly args?: Record<string, unknown>
}

/** A whole ITF trace document. */
export interface ItfTrace {
  readonly "#meta": Record<string, unknown>
  readonly vars: ReadonlyArray<string>
  readonly states: ReadonlyArray<ItfState & { readonly "#meta": ItfStateMeta }>
  /** A lasso: the behavior repeats states[loop ..] for ever. */
  readonly loop?: number
}

/** Converts a plain argument value (number, array of numbers, string) to ITF. */
export function toItfValue(v: unknown): ItfValue {
  if (typeof v === "number") return { "#bigint": String(v) }
  if (typeof v === "string" || typeof v === "boolean") return v
  if (Array.isArray(v)) return v.map(toItfValue)
  if (v instanceof Set) return { "#set": [...v].map(toItfValue) }
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toItfValue(x)]))
  }
  throw new TypeError(`cannot write ${String(v)} as an ITF value`)
}

/** Renders an ITF value in TLA+ notation, e.g. `[term |-> 1, index |-> 2]`. */
export function renderValue(v: ItfValue): string {
  if (typeof v === "string") return JSON.stringify(v)
  if (typeof v === "boolean") return v ? "TRUE" : "FALSE"
  if (typeof v === "number") return String(v)
  if (Array.isArray(v)) return `<<${v.map(renderValue).join(", ")}>>`
  const o = v as Record<string, ItfValue>
  if ("#bigint" in o) return String(o["#bigint"])
  if ("#set" in o) return `{${(o["#set"] as ItfValue[]).map(renderValue).join(", ")}}`
  if ("#tup" in o) return `<<${(o["#tup"] as ItfValue[]).map(renderValue).join(", ")}>>`
  if ("#map" in o) {
    const entries = o["#map"] as unknown as Array<[ItfValue, ItfValue]>
    return entries.length === 0 ? "<<>>" : `(${entries.map(([k, x]) => `${renderValue(k)} :> ${renderValue(x)}`).join(" @@ ")})`
  }
  return `[${Object.entries(o).map(([k, x]) => `${k} |-> ${renderValue(x)}`).join(", ")}]`
}
