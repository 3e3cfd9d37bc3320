/** The implementation-trace format: its Effect Schemas and the committed JSON Schemas made from them. */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { TraceLine } from "../../model/trace/events.js"
import { jsonSchemaFiles } from "../../model/trace/json-schemas.js"

const decode = Schema.decodeUnknownEither(TraceLine)

describe("trace format", () => {
  it("accepts a header and an event", () => {
    const header = { kind: "header", format: "replcheck-trace", version: 1, protocol: "rollback", config: { servers: 3 }, nodes: [1, 2, 3] }
    const event = { kind: "event", seq: 1, node: 2, action: "ClientWrite", args: { numEntries: 1 }, observed: { log: [{ term: 1 }] } }
    expect(Either.isRight(decode(header))).toBe(true)
    expect(Either.isRight(decode(event))).toBe(true)
    expect(Either.isRight(decode({ ...event, node: null }))).toBe(true)
  })

  it.each([
    ["a wrong format version", { kind: "header", format: "replcheck-trace", version: 2, protocol: "rollback", config: {}, nodes: [1] }],
    ["a zero seq", { kind: "event", seq: 0, node: 1, action: "A", args: {}, observed: {} }],
    ["a missing action", { kind: "event", seq: 1, node: 1, args: {}, observed: {} }],
    ["an unknown kind", { kind: "footer" }]
  ])("rejects %s", (_, line) => {
    expect(Either.isLeft(decode(line))).toBe(true)
  })

  it("the committed JSON Schemas in traces/schema/ are the ones generated now (npm run schemas)", () => {
    for (const [name, contents] of Object.entries(jsonSchemaFiles())) {
      expect(readFileSync(join(import.meta.dirname, "../../traces/schema", name), "utf8")).toBe(contents)
    }
  })
})
