/**
 * 64-bit fingerprints of packed states.
 *
 * This runs once per generated successor (tens of millions of times per run), so it works on
 * 32-bit words with Math.imul and returns the two halves through module-level slots instead of
 * allocating a pair or a BigInt. The two lanes use different multipliers and rotations (a
 * MurmurHash3-style lane and an xxHash32-style lane) and are cross-mixed at the end, so a
 * collision needs both 32-bit lanes to collide at once.
 */

/** High 32 bits of the last fingerprint computed (signed int32). */
export let fpHi = 0
/** Low 32 bits of the last fingerprint computed (signed int32). */
export let fpLo = 0

const C1 = 0xcc9e2d51 | 0
const C2 = 0x1b873593 | 0
const P1 = 0x9e3779b1 | 0
const P2 = 0x85ebca77 | 0
const P3 = 0xc2b2ae3d | 0

function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

/**
 * Fingerprints `words[offset .. offset + count)`; read the result from `fpHi` / `fpLo`.
 * The high word is never 0: seen sets mark empty slots with it, and the parallel search claims
 * slots by compare-and-swap on it.
 */
export function fingerprintWords(words: Int32Array, offset: number, count: number): void {
  let h1 = 0x2545f491 ^ count
  let h2 = 0x61c88647 ^ Math.imul(count, P3)
  const end = offset + count
  for (let i = offset; i < end; i++) {
    const w = words[i]!
    let k = Math.imul(w, C1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, C2)
    h1 ^= k
    h1 = (h1 << 13) | (h1 >>> 19)
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0
    h2 = (h2 + Math.imul(w, P2)) | 0
    h2 = (h2 << 13) | (h2 >>> 19)
    h2 = Math.imul(h2, P1)
  }
  h1 = fmix32(h1 ^ Math.imul(h2, P3))
  h2 = fmix32(h2 ^ Math.imul(h1, C2))
  if (h1 === 0) h1 = 0x5bd1e995
  fpHi = h1
  fpLo = h2
}

/** Compares two fingerprints (and tie-breakers) as unsigned numbers: negative, 0 or positive. */
export function compareFingerprints(aHi: number, aLo: number, bHi: number, bLo: number): number {
  if (aHi !== bHi) return (aHi >>> 0) < (bHi >>> 0) ? -1 : 1
  if (aLo !== bLo) return (aLo >>> 0) < (bLo >>> 0) ? -1 : 1
  return 0
}

/** A fingerprint as 16 lowercase hex digits, for messages and traces. */
export function fingerprintHex(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0")
}
