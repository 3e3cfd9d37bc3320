/**
 * The ITF form of a kit model's states, as an Effect Schema derived from its declaration: node
 * variables are functions of the node ids (`#map`), sets are `#set`, integers `#bigint`,
 * records JSON objects, sequences and arrays JSON arrays, names strings.
 */
import { Schema } from "effect"
import type { KitModel } from "../kit/index.js"
import type { Type } from "../kit/types.js"
import { ItfInt, ItfNodeMap, ItfSet } from "./itf.js"

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any state's schema
export type StateSchema = Schema.Schema<any, any>

function schemaOf(t: Type): StateSchema {
  switch (t.kind) {
    case "uint":
    case "range":
    case "node":
      return ItfInt
    case "bool":
      return Schema.Boolean
    case "enum":
      return Schema.Literal(...t.names)
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
