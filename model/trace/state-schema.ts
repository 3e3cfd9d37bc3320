/**
 * The ITF form of a kit model's states, as an Effect Schema derived from its declaration: node
 * variables are functions of the node ids (`#map`), sets are `#set`, integers `#bigint`,
 * records JSON objects, sequences and arrays JSON arrays, names strings. On input a name may also
 * be Quint's form of a variant without a payload, `{"tag": "Leader", "value": {"#tup": []}}`.
 */
import { Schema } from "effect"
import type { KitModel } from "../kit/index.js"
import type { Type } from "../kit/types.js"
import { ItfInt, ItfNodeMap, ItfSet } from "./itf.js"

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any state's schema
export type StateSchema = Schema.Schema<any, any>

/** Quint's ITF form of a sum-type variant with no payload, decoded to its name. */
function quintVariant(names: readonly string[]): StateSchema {
  return Schema.transform(Schema.Struct({ tag: Schema.Literal(...names), value: Schema.Struct({ "#tup": Schema.Tuple() }) }), Schema.Literal(...names), {
    strict: true,
    decode: (v) => v.tag,
    encode: (name) => ({ tag: name, value: { "#tup": [] as const } })
  })
}

function schemaOf(t: Type): StateSchema {
  switch (t.kind) {
    case "uint":
    case "range":
    case "node":
      return ItfInt
    case "bool":
      return Schema.Boolean
    case "enum":
      // Written as a string (the union encodes with its first member); read as either form.
      return Schema.Union(Schema.Literal(...t.names), quintVariant(t.names))
    case "record":
      return Schema.Struct(Object.fromEntries(Object.entries(t.fields).map(([k, f]) => [k, schemaOf(f)])))
    case "seq":
    case "array":
      return Schema.Array(schemaOf(t.elem))
    case "set":
      return ItfSet(schemaOf(t.elem))
  }
}

const cache = new WeakMap<object, StateSchema>()

/** The schema of one ITF state of `model` (its variables, in declaration order). */
export function stateSchema(model: KitModel): StateSchema {
  let schema = cache.get(model.layout)
  if (schema === undefined) {
    schema = Schema.Struct(Object.fromEntries(model.layout.fields.map((f) => [f.name, f.scope === "node" ? ItfNodeMap(schemaOf(f.type)) : schemaOf(f.type)])))
    cache.set(model.layout, schema)
  }
  return schema
}
