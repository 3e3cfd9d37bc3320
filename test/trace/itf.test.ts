import { fc, test } from "@fast-check/vitest"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { ItfInt, ItfNodeMap, ItfSet, renderValue } from "../../model/trace/itf.js"

describe("ITF values", () => {
  it("writes integers as #bigint and reads both forms", () => {
    expect(Schema.encodeSync(ItfInt)(42)).toEqual({ "#bigint": "42" })
    expect(Schema.decodeUnknownSync(ItfInt)({ "#bigint": "-7" })).toBe(-7)
    expect(Schema.decodeUnknownSync(ItfInt)(3)).toBe(3)
    expect(() => Schema.decodeUnknownSync(ItfInt)({ "#bigint": "123456789012345678901" })).toThrow(/out of range/)
  })

  it("writes node functions as #map from ids 1..n and rejects other domains", () => {
    const m = ItfNodeMap(ItfInt)
    expect(Schema.encodeSync(m)([5, 6])).toEqual({
      "#map": [
        [{ "#bigint": "1" }, { "#bigint": "5" }],
        [{ "#bigint": "2" }, { "#bigint": "6" }]
      ]
    })
    expect(() => Schema.decodeUnknownSync(m)({ "#map": [[{ "#bigint": "2" }, { "#bigint": "5" }]] })).toThrow(/keys 1..n/)
  })

  test.prop([fc.array(fc.record({ term: fc.nat(1000), index: fc.nat(1000) }), { maxLength: 8 })])(
    "fromItf(toItf(x)) = x through JSON text",
    (entries) => {
      const s = ItfSet(Schema.Struct({ term: ItfInt, index: ItfInt }))
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(s)(entries)))
      expect(Schema.decodeUnknownSync(s)(json)).toEqual(entries)
    }
  )

  it("renders values in TLA+ notation", () => {
    expect(renderValue({ "#set": [{ term: { "#bigint": "1" }, index: { "#bigint": "2" } }] })).toBe("{[term |-> 1, index |-> 2]}")
    expect(renderValue([{ "#bigint": "1" }, "Leader", true])).toBe('<<1, "Leader", TRUE>>')
  })
})
