/**
 * The seen set's growth in place (model/engine/seen-set.ts, growFingerprints): after any number
 * of growths, whatever the segments, every fingerprint added is found, none that was not is, the
 * table holds exactly the fingerprints added, and a reserved table kept its memory.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import {
  allocSlots,
  FingerprintSet,
  forEachOccupied,
  growFingerprints,
  nextSeenCapacity,
  place,
  probeHas,
  RESERVE_FROM_SLOTS,
  seenCapacityFor,
  slotOf,
  type Slots
} from "../../model/engine/seen-set.js"

const TWO_32 = 2 ** 32

/** The high word of a fingerprint whose home is near `fraction` of the table (0 is never one: it marks empty slots). */
const highNear = (fraction: number, jitter: number) => {
  const h = (Math.floor(fraction * TWO_32) + jitter) | 0
  return h === 0 ? 1 : h
}

/** Fingerprints bunched at the table's start and end (so that clusters wrap), and spread between. */
const fingerprints = fc
  .uniqueArray(
    fc.oneof(
      fc.tuple(fc.integer({ min: -200, max: 200 }).map((j) => highNear(0, j)), fc.integer()),
      fc.tuple(fc.integer({ min: -200, max: -1 }).map((j) => highNear(1, j)), fc.integer()),
      fc.tuple(fc.integer().filter((h) => h !== 0), fc.integer())
    ),
    { minLength: 1, maxLength: 400, selector: ([hi, lo]) => `${hi}:${lo}` }
  )

function contents(t: Slots): string[] {
  const out: string[] = []
  forEachOccupied(t, 0, t.capacity, (seg, i) => out.push(`${seg[i]}:${seg[i + 1]}`))
  return out.sort()
}

describe("the seen set grows in place", () => {
  test.prop([fingerprints, fc.integer({ min: 0, max: 5 }), fc.boolean()], { numRuns: 300 })(
    "every fingerprint is found after each growth, and nothing else is",
    (fps, segmentShift, shared) => {
      let t = allocSlots(Math.max(4, Math.ceil(fps.length / 0.75 / 1.45 ** 3)), 2, segmentShift, shared, true)
      let size = 0
      for (const [hi, lo] of fps) {
        const capacity = seenCapacityFor(size + 1, t.capacity)
        if (capacity !== t.capacity) t = growFingerprints(t, size, capacity)
        place(t, hi, lo)
        size++
      }
      for (const [hi, lo] of fps) expect(probeHas(t, hi, lo)).toBe(true)
      expect(contents(t)).toEqual(fps.map(([hi, lo]) => `${hi}:${lo}`).sort())
      for (const [hi, lo] of fps) expect(probeHas(t, hi, lo ^ 0x5a5a5a5a)).toBe(fps.some(([h, l]) => h === hi && l === (lo ^ 0x5a5a5a5a)))
    }
  )

  it("a cluster that wraps from the end to slot 0 before and after growth is found whole", () => {
    // Two segments of 8 slots, reserved whole: 10 fingerprints whose home is the last slot.
    let t = allocSlots(16, 2, 3, false, true)
    const fps = Array.from({ length: 10 }, (_, k) => [highNear(1, -1 - k), k + 1] as const)
    for (const [hi, lo] of fps) place(t, hi, lo)
    expect(slotOf(fps[0]![0], 16)).toBe(15)
    const before = t.backing[0]
    t = growFingerprints(t, fps.length, 32)
    expect(t.backing[0]).toBe(before)
    for (const [hi, lo] of fps) expect(probeHas(t, hi, lo)).toBe(true)
    expect(contents(t)).toHaveLength(fps.length)
    // In a table of 32 slots they still wrap: the last slot and the first nine.
    const first = t.segments[0]!
    expect(Array.from({ length: 9 }, (_, s) => first[2 * s] !== 0).every(Boolean)).toBe(true)
  })

  it("a reserved table keeps its memory through 16 growths, and its fingerprints", () => {
    let t = allocSlots(300, 2, 8, true, true)
    const first = t.backing[0]
    const fps: Array<[number, number]> = []
    let x = 777
    for (let k = 0; k < 100000; k++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0
      const capacity = seenCapacityFor(k + 1, t.capacity)
      if (capacity !== t.capacity) {
        const before = t.backing
        t = growFingerprints(t, k, capacity)
        for (let s = 0; s < before.length; s++) expect(t.backing[s]).toBe(before[s])
      }
      fps.push([x === 0 ? 1 : x, k])
      place(t, fps[k]![0], k)
    }
    expect(t.backing[0]).toBe(first)
    expect(t.capacity).toBeGreaterThan(300 * 1.45 ** 16)
    expect(contents(t)).toEqual(fps.map(([hi, lo]) => `${hi}:${lo}`).sort())
    for (const [hi, lo] of fps) expect(probeHas(t, hi, lo)).toBe(true)
  })

  it("the sequential seen set gives the same membership however often it grew", () => {
    const small = new FingerprintSet(16, 3)
    const large = new FingerprintSet(1 << 16)
    let x = 12345
    for (let k = 0; k < 20000; k++) {
      x = (Math.imul(x, 1103515245) + 12345) | 0
      const hi = x === 0 ? 1 : x
      expect(small.add(hi, k)).toBe(large.add(hi, k))
    }
    expect(small.size).toBe(large.size)
    expect(small.slots.capacity).toBeGreaterThan(16 * nextSeenCapacity(1))
  })

  it("tables from RESERVE_FROM_SLOTS slots reserve their segment whole; smaller ones do not", () => {
    expect(allocSlots(RESERVE_FROM_SLOTS, 2, 27, false, true).backing[0]!.length).toBe(2 * 2 ** 27)
    expect(allocSlots(1000, 2, 27, false, true).backing[0]!.length).toBe(2000)
    expect(allocSlots(RESERVE_FROM_SLOTS, 2, 27, false).backing[0]!.length).toBe(2 * RESERVE_FROM_SLOTS)
  })
})
