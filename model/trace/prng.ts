/**
 * mulberry32: a small, well-mixed 32-bit PRNG for seeded runs. It lives beside the trace format,
 * with no checker imports, so the reference implementations (impl/) can share it.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
