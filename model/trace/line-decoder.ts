/**
 * Reads one line of an implementation trace (events.ts defines the format) in plain code, so
 * that `replcheck validate` starts without loading Effect. events.ts's Effect Schemas stay the
 * definition the JSON Schemas are generated from; a test keeps this reader equal to them: the
 * same lines accepted, the same values read, and a failing field that the Schema also names.
 *
 * As with the Schemas, fields a line has beyond the format's are dropped, not rejected.
 */
import type { TraceEvent, TraceHeader, TraceLine } from "./events.js"

export const TRACE_FORMAT = "replcheck-trace"
export const TRACE_VERSION = 1

/** Where a line is not a trace line: the field (a path, empty for the whole line) and why. */
export interface LineProblem {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

export type LineReading = { readonly ok: true; readonly line: TraceLine } | { readonly ok: false; readonly problem: LineProblem }

class Problem {
  constructor(
    readonly path: ReadonlyArray<string | number>,
    readonly message: string
  ) {}
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v)

const shown = (v: unknown) => (v === undefined ? "nothing" : (JSON.stringify(v) ?? String(v)))

function field(o: Record<string, unknown>, name: string): unknown {
  if (!Object.hasOwn(o, name)) throw new Problem([name], "is missing")
  return o[name]
}

function positiveInt(v: unknown, path: ReadonlyArray<string | number>): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) throw new Problem(path, `expected a positive integer, got ${shown(v)}`)
  return v
}

function record<A>(v: unknown, path: ReadonlyArray<string | number>, what: string, value: (x: unknown, path: ReadonlyArray<string | number>) => A): Record<string, A> {
  if (!isObject(v)) throw new Problem(path, `expected ${what} (a JSON object), got ${shown(v)}`)
  const out: Record<string, A> = {}
  for (const [k, x] of Object.entries(v)) out[k] = value(x, [...path, k])
  return out
}

/** A JSON object as it was parsed (fresh from JSON.parse, so nothing else holds it): no copy, no path per key. */
function object(v: unknown, path: ReadonlyArray<string | number>, what: string): Record<string, unknown> {
  if (!isObject(v)) throw new Problem(path, `expected ${what} (a JSON object), got ${shown(v)}`)
  return v
}

function literal<A extends string | number>(v: unknown, path: ReadonlyArray<string | number>, expected: A): A {
  if (v !== expected) throw new Problem(path, `expected ${JSON.stringify(expected)}, got ${shown(v)}`)
  return expected
}

function string(v: unknown, path: ReadonlyArray<string | number>): string {
  if (typeof v !== "string") throw new Problem(path, `expected a string, got ${shown(v)}`)
  return v
}

function header(o: Record<string, unknown>): TraceHeader {
  const kind = literal(field(o, "kind"), ["kind"], "header")
  const format = literal(field(o, "format"), ["format"], TRACE_FORMAT)
  const version = literal(field(o, "version"), ["version"], TRACE_VERSION)
  const protocol = string(field(o, "protocol"), ["protocol"])
  const config = record(field(o, "config"), ["config"], "the protocol's bounds", (x, path) => {
    if (typeof x !== "number" || !Number.isSafeInteger(x)) throw new Problem(path, `expected an integer, got ${shown(x)}`)
    return x
  })
  const nodes = field(o, "nodes")
  if (!Array.isArray(nodes)) throw new Problem(["nodes"], `expected an array of node ids, got ${shown(nodes)}`)
  return { kind, format, version, protocol, config, nodes: nodes.map((n, k) => positiveInt(n, ["nodes", k])) }
}

function event(o: Record<string, unknown>): TraceEvent {
  const kind = literal(field(o, "kind"), ["kind"], "event")
  const seq = positiveInt(field(o, "seq"), ["seq"])
  const rawNode = field(o, "node")
  const node = rawNode === null ? null : positiveInt(rawNode, ["node"])
  const action = string(field(o, "action"), ["action"])
  const args = object(field(o, "args"), ["args"], "the step's arguments")
  const observed = object(field(o, "observed"), ["observed"], "the observed variables")
  return { kind, seq, node, action, args, observed }
}

/** One parsed JSON line as a header or an event, or the first field that is wrong. */
export function readTraceLine(json: unknown): LineReading {
  try {
    if (!isObject(json)) throw new Problem([], `expected a JSON object (a header or an event), got ${shown(json)}`)
    const kind = field(json, "kind")
    if (kind === "header") return { ok: true, line: header(json) }
    if (kind === "event") return { ok: true, line: event(json) }
    throw new Problem(["kind"], `expected "header" or "event", got ${shown(kind)}`)
  } catch (e) {
    if (e instanceof Problem) return { ok: false, problem: { path: e.path, message: e.message } }
    throw e
  }
}
