/**
 * ITF values (the Informal Trace Format of Apalache and Quint) as plain code: their JSON types,
 * and the conversion and rendering that the validator's diagnostics use without loading Effect.
 * itf.ts has the Effect Schemas that read and write them.
 */

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
