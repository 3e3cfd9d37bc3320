/**
 * The plain readers `validate` uses (so that it starts without Effect) against the Effect
 * Schemas that define the formats: trace lines (events.ts) and ITF states (state-schema.ts).
 * Random lines and states, most of them one change away from valid, must be accepted by both or
 * by neither, read to the same values, and, when rejected, the reader's field must be one the
 * Schema names too.
 */
import { describe, expect } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { Either, ParseResult, Schema } from "effect"
import { TraceLine } from "../../model/trace/events.js"
import { readTraceLine } from "../../model/trace/line-decoder.js"
import { itfStateReader } from "../../model/trace/itf-decoder.js"
import { stateSchema } from "../../model/trace/state-schema.js"
import { builtInProtocol } from "../../model/protocols/index.js"
import { successorsOf } from "../../model/engine/path.js"
import type { KitModel } from "../../model/kit/index.js"

/** The Schema's verdict: the value read, or every path it names (errors: all). */
function bySchema(schema: Schema.Schema<unknown, unknown>, input: unknown, excess: "ignore" | "error") {
  const d = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: excess })(input)
  return Either.isRight(d) ? { ok: true as const, value: d.right } : { ok: false as const, paths: ParseResult.ArrayFormatter.formatErrorSync(d.left).map((i) => i.path.join(".")) }
}

/** A value to put where another was: each kind of JSON, and near misses of the right ones. */
const junk = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, 2 ** 53, -1, 1e300, "", "1", "header", "event", "replcheck-trace", true, false, null, [], {}, [1], { "#bigint": "2" }, { "#bigint": "x" }, { "#set": [] }, { "#map": [] }),
  fc.string({ maxLength: 3 })
)

/** A JSON value with one change: a field replaced, removed or added, somewhere inside. */
function mutate(v: unknown, choice: number, replacement: unknown, depth = 0): unknown {
  if (v === null || typeof v !== "object" || depth > 6) return replacement
  const keys = Object.keys(v)
  const action = choice % 4
  if (action === 0 || keys.length === 0) return Array.isArray(v) ? [...v, replacement] : { ...v, [`x${choice % 3}`]: replacement }
  const key = keys[Math.floor(choice / 4) % keys.length]!
  const copy: Record<string, unknown> | unknown[] = Array.isArray(v) ? [...v] : { ...v }
  if (action === 1) {
    if (Array.isArray(copy)) copy.splice(Number(key), 1)
    else delete copy[key]
    return copy
  }
  if (action === 2) (copy as Record<string, unknown>)[key] = replacement
  else (copy as Record<string, unknown>)[key] = mutate((v as Record<string, unknown>)[key], Math.floor(choice / 7), replacement, depth + 1)
  return copy
}

const header = { kind: "header", format: "replcheck-trace", version: 1, protocol: "rollback", config: { servers: 3, maxTerm: 2 }, nodes: [1, 2, 3] }
const event = { kind: "event", seq: 4, node: 2, action: "ClientWrite", args: { numEntries: 1, voters: [1, 2] }, observed: { log: [{ term: 1 }], state: "Leader" } }
const systemEvent = { ...event, node: null, args: {} }

describe("readTraceLine agrees with the TraceLine Schema", () => {
  test.prop([fc.constantFrom(header, event, systemEvent), fc.nat(), junk, fc.integer({ min: 0, max: 2 })], { numRuns: 3000 })("on lines one or two changes from valid", (line, choice, replacement, changes) => {
    let input: unknown = line
    for (let k = 0; k < changes; k++) input = mutate(input, choice + k * 13, replacement)
    const mine = readTraceLine(input)
    const theirs = bySchema(TraceLine as Schema.Schema<unknown, unknown>, input, "ignore")
    expect(mine.ok, JSON.stringify(input)).toBe(theirs.ok)
    if (mine.ok && theirs.ok) expect(mine.line).toEqual(theirs.value)
    // The Schema names no field for a line of neither kind; the reader names kind.
    if (!mine.ok && !theirs.ok) expect([...theirs.paths, ...(theirs.paths.includes("") ? ["kind"] : [])], JSON.stringify(input)).toContain(mine.problem.path.join("."))
  })
})

/** ITF states of a model: its initial states and their successors, written by the Schema. */
function itfStatesOf(model: KitModel, count: number): unknown[] {
  const write = Schema.encodeSync(stateSchema(model))
  const states: Uint8Array[] = [...model.initialStates()]
  for (let k = 0; states.length < count && k < states.length; k++) for (const step of successorsOf(model, states[k]!)) states.push(step.state)
  return states.slice(0, count).map((s) => write(model.codec.decode(s)))
}

describe("itfStateReader agrees with the state Schema", () => {
  for (const name of ["rollback", "sidecar", "raftmongo", "cdc"]) {
    const protocol = builtInProtocol(name)!
    const model = protocol.build(protocol.defaults, "base", { symmetry: false })
    const states = itfStatesOf(model, 40)
    const read = itfStateReader(model)
    // A Quint enum value for the first string found, to cover that form too.
    const quintForm = (s: unknown) => JSON.parse(JSON.stringify(s).replace(/"(Leader|Follower|Candidate)"/, '{"tag":"$1","value":{"#tup":[]}}'))
    test.prop([fc.nat({ max: states.length - 1 }), fc.nat(), junk, fc.integer({ min: 0, max: 2 }), fc.boolean()], { numRuns: 1500 })(`${name}: on states one or two changes from valid`, (k, choice, replacement, changes, quint) => {
      let input = quint ? quintForm(states[k]) : states[k]
      for (let c = 0; c < changes; c++) input = mutate(input, choice + c * 13, replacement)
      const mine = read(input)
      const theirs = bySchema(stateSchema(model) as Schema.Schema<unknown, unknown>, input, "error")
      expect(mine.ok, JSON.stringify(input)).toBe(theirs.ok)
      if (mine.ok && theirs.ok) expect(mine.state).toEqual(theirs.value)
      if (!mine.ok && !theirs.ok) expect(theirs.paths, JSON.stringify(input)).toContain(mine.problem.path.join("."))
    })
  }
})
