import { expect } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { grouped } from "../../model/cli/numbers.js"

test.prop([fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.integer({ min: -2000, max: 2000 }))], { numRuns: 2000 })("grouped writes an integer as toLocaleString('en-US') does", (n) => {
  expect(grouped(n)).toBe(n.toLocaleString("en-US"))
})
