/**
 * `replcheck describe`: for every built-in protocol it names every action and variable the model
 * has; each example event is one the protocol's event schema (traces/schema/<protocol>.events.
 * schema.json) accepts, and one taken one step from the initial state is, after the printed
 * header, a trace the validator accepts. The schema rejects what the validator calls bad input.
 */
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { describeProtocol, type Description } from "../../model/cli/describe.js"
import type { Protocol } from "../../model/kit/index.js"
import { builtInProtocols } from "../../model/protocols/index.js"
import { protocolEventSchema } from "../../model/trace/event-schema.js"
import { validateTrace } from "../../model/trace/validate.js"

const bin = join(import.meta.dirname, "../../bin/replcheck.js")
// As the JSON Schema (additionalProperties: false) and the validator read an event.
const strict = { onExcessProperty: "error" } as const
async function* each(lines: readonly string[]) {
  yield* lines
}

describe("replcheck describe", () => {
  it.each(builtInProtocols.map((p) => [p.name, p] as const))("%s: every action and variable, examples the schema and the validator accept", async (_, protocol) => {
    const d = describeProtocol(protocol, protocol.defaults)
    const model = protocol.build(protocol.defaults)
    expect(d.actions.map((a) => a.name)).toEqual(model.families.map((f) => f.name))
    expect(d.variables.map((v) => v.name)).toEqual(Object.keys(model.codec.decode(model.initialStates()[0]!) as object))
    const schema = protocolEventSchema(protocol as Protocol)
    const examples = d.actions.flatMap((a) => (a.example ? [a.example] : []))
    // Most actions are met near the initial state; each example is an event the schema accepts.
    expect(examples.length).toBeGreaterThan(d.actions.length / 2)
    for (const e of examples) expect(Either.isRight(Schema.decodeUnknownEither(schema)(e.event, strict)), e.event.action).toBe(true)
    const firstSteps = examples.filter((e) => e.depth === 1)
    expect(firstSteps.length).toBeGreaterThan(0)
    for (const e of firstSteps) {
      const r = await validateTrace(protocol as Protocol, protocol.traceMapping ?? { internal: [] }, each([JSON.stringify(d.header), JSON.stringify(e.event)]), "describe", { internalSteps: 0 })
      expect(r.rejection, e.event.action).toBeNull()
    }
  })

  it("the event schema rejects an unknown action, an unknown argument, an unknown variable and a wrong shape", () => {
    const rollback = builtInProtocols.find((p) => p.name === "rollback")!
    const schema = protocolEventSchema(rollback as Protocol)
    const ok = { kind: "event", seq: 1, node: 1, action: "ClientWrite", args: { numEntries: 1 }, observed: { currentTerm: 1 } }
    const accepts = (e: unknown) => Either.isRight(Schema.decodeUnknownEither(schema)(e, strict))
    expect(accepts(ok)).toBe(true)
    expect(accepts({ ...ok, action: "Elect" })).toBe(false)
    expect(accepts({ ...ok, args: { entries: 1 } })).toBe(false)
    expect(accepts({ ...ok, observed: { term: 1 } })).toBe(false)
    expect(accepts({ ...ok, observed: { state: "King" } })).toBe(false)
    // A mapped event (one line for a whole rollback) and an observation-only one are events too.
    expect(accepts({ kind: "event", seq: 2, node: 2, action: "Rollback", args: {}, observed: {} })).toBe(true)
    expect(accepts({ kind: "event", seq: 3, node: 2, action: "RollbackPersistStarted", args: {}, observed: {} })).toBe(true)
  })

  it("prints the header, actions, variables and mapping at the bounds given, and --json", () => {
    const text = spawnSync(process.execPath, [bin, "describe", "cdc", "--max-seqno", "3"], { encoding: "utf8" })
    expect(text.status).toBe(0)
    expect(text.stdout).toMatch(/^cdc: .*\nat --replicas 1 --max-seqno 3 --keys 2 --max-failovers 1\n/)
    expect(text.stdout).toContain('{"kind":"header","format":"replcheck-trace","version":1,"protocol":"cdc","config":{"replicas":1,"maxSeqno":3,"keys":2,"maxFailovers":1},"nodes":[1,2]}')
    expect(text.stdout).toMatch(/\n {2}Write \(node: null\) {2}args: key: integer\n/)
    expect(text.stdout).toMatch(/\n {2}high\[node\]: integer >= 0\n/)
    expect(text.stdout).toMatch(/\nTrace mapping:\n {2}every step is logged: no internal steps\n/)
    const json = spawnSync(process.execPath, [bin, "describe", "rollback", "--json"], { encoding: "utf8" })
    const d = JSON.parse(json.stdout) as Description
    expect(d.internal).toEqual(["LearnCommitPointWithTermCheck", "LearnCommitPointFromSyncSourceNeverBeyondLastApplied"])
    expect(d.events["Rollback"]).toHaveLength(6)
    const bad = spawnSync(process.execPath, [bin, "describe", "cdc", "--max-seqno", "9"], { encoding: "utf8" })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/--max-seqno: expected an integer between 1 and 5, got 9/)
  })
})
