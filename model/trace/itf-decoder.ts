/**
 * Reads one ITF state of a kit model in plain code, so that `replcheck validate` starts without
 * loading Effect. state-schema.ts derives the same reading as an Effect Schema (and writes states
 * with it); a test keeps the two equal: the same states accepted, the same values read, and a
 * failing field that the Schema also names.
 *
 * The forms: a node variable is a `#map` from the node ids 1..n, a set a `#set`, an integer a
 * `#bigint` or a plain JSON integer, an enum value its name or Quint's `{"tag": name, "value":
 * {"#tup": []}}`, a record an object, a sequence or array an array. Every object is exact: a field
 * the form does not have is an error, as is a variable the model does not have.
 */
import type { KitModel } from "../kit/index.js"
import type { Type } from "../kit/types.js"
import type { LineProblem } from "./line-decoder.js"

type Path = ReadonlyArray<string | number>

export type StateReading = { readonly ok: true; readonly state: Record<string, unknown> } | { readonly ok: false; readonly problem: LineProblem }

class Problem {
  constructor(
    readonly path: Path,
    readonly message: string
  ) {}
}

const shown = (v: unknown) => (v === undefined ? "nothing" : (JSON.stringify(v) ?? String(v)))

/** `v` as an object with exactly the fields `keys`. */
function exact(v: unknown, path: Path, keys: readonly string[], what: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Problem(path, `expected ${what}, got ${shown(v)}`)
  const o = v as Record<string, unknown>
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Problem([...path, k], `is unexpected (expected ${keys.map((x) => JSON.stringify(x)).join(" | ")})`)
  for (const k of keys) if (!Object.hasOwn(o, k)) throw new Problem([...path, k], "is missing")
  return o
}

function array(v: unknown, path: Path, what: string): readonly unknown[] {
  if (!Array.isArray(v)) throw new Problem(path, `expected ${what}, got ${shown(v)}`)
  return v
}

const BIGINT = /^-?[0-9]+$/

function int(v: unknown, path: Path): number {
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new Problem(path, `expected an integer, got ${shown(v)}`)
    return v
  }
  const o = exact(v, path, ["#bigint"], 'an integer ({"#bigint": "3"} or 3)')
  const digits = o["#bigint"]
  if (typeof digits !== "string" || !BIGINT.test(digits)) throw new Problem([...path, "#bigint"], `expected a string of digits, got ${shown(digits)}`)
  const n = Number(digits)
  if (!Number.isSafeInteger(n)) throw new Problem(path, `integer ${digits} is out of range`)
  return n
}

function value(t: Type, v: unknown, path: Path): unknown {
  switch (t.kind) {
    case "uint":
    case "range":
    case "node":
      return int(v, path)
    case "bool":
      if (typeof v !== "boolean") throw new Problem(path, `expected a boolean, got ${shown(v)}`)
      return v
    case "enum": {
      const names: readonly string[] = t.names
      const expected = names.map((n) => JSON.stringify(n)).join(" | ")
      if (typeof v === "string") {
        if (!names.includes(v)) throw new Problem(path, `expected ${expected}, got ${shown(v)}`)
        return v
      }
      // Quint's variant with no payload.
      const o = exact(v, path, ["tag", "value"], `${expected} (or Quint's {"tag": name, "value": {"#tup": []}})`)
      if (typeof o.tag !== "string" || !names.includes(o.tag)) throw new Problem([...path, "tag"], `expected ${expected}, got ${shown(o.tag)}`)
      const tup = array(exact(o.value, [...path, "value"], ["#tup"], '{"#tup": []}')["#tup"], [...path, "value", "#tup"], "an empty tuple")
      if (tup.length > 0) throw new Problem([...path, "value", "#tup", 0], "is unexpected (the tuple is empty)")
      return o.tag
    }
    case "record": {
      const o = exact(v, path, Object.keys(t.fields), "a record (a JSON object)")
      const out: Record<string, unknown> = {}
      for (const [k, f] of Object.entries(t.fields)) out[k] = value(f, o[k], [...path, k])
      return out
    }
    case "seq":
    case "array":
      return array(v, path, "a sequence (a JSON array)").map((x, k) => value(t.elem, x, [...path, k]))
    case "set": {
      const elems = array(exact(v, path, ["#set"], 'a set ({"#set": [...]})')["#set"], [...path, "#set"], "the elements of a set (a JSON array)")
      return elems.map((x, k) => value(t.elem, x, [...path, "#set", k]))
    }
  }
}

/** A node variable: a `#map` whose keys are the node ids 1..n, read as an array by node position. */
function nodeMap(t: Type, v: unknown, path: Path): unknown[] {
  const pairs = array(exact(v, path, ["#map"], 'a function of the node ids ({"#map": [[1, value], ...]})')["#map"], [...path, "#map"], "the pairs of a map (a JSON array)")
  const entries = pairs.map((pair, k) => {
    const at = [...path, "#map", k]
    const p = array(pair, at, "a pair [node id, value]")
    if (p.length < 2) throw new Problem([...at, p.length], "is missing")
    if (p.length > 2) throw new Problem([...at, 2], "is unexpected (a pair has two elements)")
    return [int(p[0], [...at, 0]), value(t, p[1], [...at, 1])] as const
  })
  entries.sort((a, b) => a[0] - b[0])
  if (!entries.every(([k], i) => k === i + 1)) throw new Problem(path, "a node map must have the keys 1..n")
  return entries.map(([, x]) => x)
}

/** A reader of the ITF states of `model` (its variables, every one required, no other). */
export function itfStateReader(model: KitModel): (vars: unknown) => StateReading {
  return itfStateReaderOf(model.layout.fields)
}

/** A reader of ITF states with these variables (a packed layout's, or the value backend's). */
export function itfStateReaderOf(fields: ReadonlyArray<{ readonly name: string; readonly scope: string; readonly type: Type }>): (vars: unknown) => StateReading {
  const names = fields.map((f) => f.name)
  return (vars) => {
    try {
      const o = exact(vars, [], names, "a state (a JSON object of the variables)")
      const state: Record<string, unknown> = {}
      for (const f of fields) state[f.name] = f.scope === "node" ? nodeMap(f.type, o[f.name], [f.name]) : value(f.type, o[f.name], [f.name])
      return { ok: true, state }
    } catch (e) {
      if (e instanceof Problem) return { ok: false, problem: { path: e.path, message: e.message } }
      throw e
    }
  }
}
