import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { fingerprintWords, fpHi, fpLo } from "../../model/engine/fingerprint.js"
import { FingerprintSet } from "../../model/engine/seen-set.js"

const fp = (words: number[]): [number, number] => {
  fingerprintWords(Int32Array.from(words), 0, words.length)
  return [fpHi, fpLo]
}

describe("fingerprints", () => {
  test.prop([fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 24 })])(
    "equal states have equal fingerprints, wherever they sit in memory",
    (words) => {
      const padded = Int32Array.from([7, ...words, 9])
      fingerprintWords(padded, 1, words.length)
      expect([fpHi, fpLo]).toEqual(fp(words))
    }
  )

  it("never has a zero high word (the empty-slot marker)", () => {
    for (let k = 0; k < 100_000; k++) expect(fp([k, k >> 3])[0]).not.toBe(0)
  })

  it("has no collision among 2,000,000 nearby small states (the kind a model produces)", () => {
    // States differing in a few small bytes are where a weak hash collides; a 64-bit hash
    // colliding here would have probability about 1e-7.
    const seen = new FingerprintSet()
    const words = new Int32Array(8)
    let collisions = 0
    for (let k = 0; k < 2_000_000; k++) {
      words[0] = k & 0xff
      words[1] = (k >> 8) & 0xff
      words[5] = k >> 16
      fingerprintWords(words, 0, 8)
      if (!seen.add(fpHi, fpLo)) collisions++
    }
    expect(collisions).toBe(0)
  })

  it("spreads single-bit changes over both halves (avalanche)", () => {
    const base = fp([0, 0, 0, 0])
    let flips = 0
    for (let bit = 0; bit < 128; bit++) {
      const w = [0, 0, 0, 0]
      w[bit >> 5] = 1 << (bit & 31)
      const [h, l] = fp(w)
      flips += popcount(h ^ base[0]) + popcount(l ^ base[1])
    }
    // About half of the 64 output bits should change per input bit.
    expect(flips / 128).toBeGreaterThan(28)
    expect(flips / 128).toBeLessThan(36)
  })
})

function popcount(x: number): number {
  let c = 0
  for (let v = x >>> 0; v !== 0; v = (v & (v - 1)) >>> 0) c++
  return c
}

describe("FingerprintSet", () => {
  // Fingerprints never have a zero high word (it marks empty slots), so neither do these pairs.
  const nonZero = fc.integer().filter((h) => h !== 0)
  // Segments of 1 to 32 slots (seen-set.ts) as well as the default's one: probes cross and wrap them.
  test.prop([fc.array(fc.tuple(nonZero, fc.integer()), { maxLength: 3000 }), fc.constantFrom(0, 1, 3, 5, undefined)])("behaves like a set of pairs, in segments of any size", (pairs, segmentShift) => {
    const set = new FingerprintSet(16, segmentShift)
    const ref = new Set<string>()
    for (const [h, l] of pairs) {
      expect(set.add(h, l)).toBe(!ref.has(`${h},${l}`))
      ref.add(`${h},${l}`)
    }
    expect(set.size).toBe(ref.size)
    for (const [h, l] of pairs) expect(set.has(h, l)).toBe(true)
    expect(set.has(123456789, 987654321)).toBe(ref.has("123456789,987654321"))
  })

  it("stays at or under 16 bytes per entry once past its initial size", () => {
    const set = new FingerprintSet(16)
    let worst = 0
    for (let k = 1; k <= 1_000_000; k++) {
      set.add(Math.imul(k, 0x9e3779b1), k)
      if (k >= 1000) worst = Math.max(worst, set.bytes / set.size)
    }
    expect(worst).toBeLessThanOrEqual(16)
  })
})
