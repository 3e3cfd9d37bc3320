/**
 * Symmetry over node ids: the canonical member of a state's orbit under all permutations of the
 * nodes. Two states are symmetric exactly when their canonical forms are equal byte for byte.
 *
 * Trade-off: when no variable holds a node id, permuting nodes only permutes whole node blocks,
 * and sorting the blocks gives the canonical form in a few comparisons. Otherwise every node id
 * inside the state (node-id scalars, node sets) moves too, and the canonical form is the least
 * relabelled state among those whose blocks are in ascending order of their signature (a block's
 * bytes with its node ids masked out, which no relabelling changes). Every state of an orbit
 * yields the same set of such candidates, so the form is exact; only the permutations that order
 * the signatures are tried, usually one or two instead of n! (up to 6 nodes: 720).
 */
import { isScalar, widthOf, type RecordType, type Type, type TypeContext } from "./types.js"

/** Where node ids sit in a value, relative to the value's offset. */
type Op =
  | { readonly kind: "id"; readonly at: number }
  /** A node id or 0 for none (held as is): 0 stays. */
  | { readonly kind: "optionalId"; readonly at: number }
  | { readonly kind: "bits"; readonly at: number; readonly bytes: number }
  /** Node ids in the used elements of a sequence (its length byte at `at`). */
  | { readonly kind: "seq"; readonly at: number; readonly width: number; readonly capacity: number; readonly inner: readonly number[] }

/** The largest node count for which relabelling by permutation is offered. */
export const MAX_SYMMETRIC_NODES = 6

/** Node-id positions of a value of `t`, or a reason why the kit cannot permute it. */
function opsOf(t: Type, at: number, ctx: TypeContext, out: Op[]): string | null {
  switch (t.kind) {
    case "node":
      out.push({ kind: t.optional ? "optionalId" : "id", at })
      return null
    case "record": {
      let o = at
      for (const f of Object.values(t.fields)) {
        const why = opsOf(f, o, ctx, out)
        if (why) return why
        o += widthOf(f, ctx)
      }
      return null
    }
    case "array": {
      const w = widthOf(t.elem, ctx)
      for (let k = 0; k < t.length; k++) {
        const why = opsOf(t.elem, at + k * w, ctx, out)
        if (why) return why
      }
      return null
    }
    case "seq": {
      const inner: Op[] = []
      const why = opsOf(t.elem, 0, ctx, inner)
      if (why) return why
      if (inner.length > 0) {
        if (inner.some((op) => op.kind !== "id")) return "a sequence whose elements hold node sets or optional node ids"
        out.push({ kind: "seq", at, width: widthOf(t.elem, ctx), capacity: t.capacity, inner: inner.map((op) => op.at) })
      }
      return null
    }
    case "set":
      if (t.elem.kind === "node") out.push({ kind: "bits", at, bytes: widthOf(t, ctx) })
      else if (!isScalar(t.elem) && Object.values((t.elem as RecordType).fields).some((f) => f.kind === "node")) return "a set of records that hold node ids"
      return null
    default:
      return null
  }
}

export interface Symmetry {
  /** Null when the state can be canonicalised; otherwise why not. */
  readonly unsupported: string | null
  canonicalize(src: Uint8Array, dst: Uint8Array): void
}

export interface SymmetricLayout {
  readonly nodes: number
  readonly stride: number
  readonly widthBytes: number
  readonly fields: ReadonlyArray<{ readonly scope: "node" | "global"; readonly type: Type; readonly offset: number }>
}

export function symmetryOf(layout: SymmetricLayout, ctx: TypeContext): Symmetry {
  const { nodes: n, stride, widthBytes } = layout
  const blockOps: Op[] = []
  const globalOps: Op[] = []
  let unsupported: string | null = null
  for (const f of layout.fields) unsupported ??= opsOf(f.type, f.offset, ctx, f.scope === "node" ? blockOps : globalOps)
  if (unsupported === null && blockOps.length + globalOps.length > 0 && n > MAX_SYMMETRIC_NODES) {
    unsupported = `variables hold node ids, and relabelling covers at most ${MAX_SYMMETRIC_NODES} nodes`
  }
  if (blockOps.length + globalOps.length === 0) return { unsupported, canonicalize: (src, dst) => sortBlocks(src, dst, n, stride, widthBytes) }
  const perms = permutations(n)
  // inverses[p][q]: the node that permutation p moves to position q.
  const inverses = perms.map((perm) => {
    const inv = new Uint8Array(n)
    for (let k = 0; k < n; k++) inv[perm[k]!] = k
    return inv
  })
  // The bytes of a block that hold no node id (1) and those that do (0).
  const compared = new Uint8Array(stride).fill(1)
  for (const op of blockOps) {
    if (op.kind === "id" || op.kind === "optionalId") compared[op.at] = 0
    else if (op.kind === "bits") compared.fill(0, op.at, op.at + op.bytes)
    else for (let e = 0; e < op.capacity; e++) for (const inner of op.inner) compared[op.at + 1 + e * op.width + inner] = 0
  }
  const rank = new Int32Array(n)
  const compareSignatures = (src: Uint8Array, x: number, y: number) => {
    for (let k = 0; k < stride; k++) {
      if (compared[k] === 0) continue
      const d = src[x * stride + k]! - src[y * stride + k]!
      if (d !== 0) return d
    }
    return 0
  }
  const candidate = new Uint8Array(widthBytes)
  const best = new Uint8Array(widthBytes)
  const relabel = (b: Uint8Array, base: number, ops: readonly Op[], perm: Uint8Array) => {
    for (const op of ops) {
      if (op.kind === "id") b[base + op.at] = perm[b[base + op.at]!]!
      else if (op.kind === "optionalId") {
        const v = b[base + op.at]!
        if (v !== 0) b[base + op.at] = perm[v - 1]! + 1
      }
      else if (op.kind === "bits") {
        let mask = 0
        for (let k = 0; k < op.bytes; k++) mask |= b[base + op.at + k]! << (8 * k)
        let moved = 0
        for (let v = 0; v < n; v++) if (mask & (1 << v)) moved |= 1 << perm[v]!
        for (let k = 0; k < op.bytes; k++) b[base + op.at + k] = (moved >>> (8 * k)) & 255
      } else {
        const len = b[base + op.at]!
        for (let e = 0; e < len; e++) for (const inner of op.inner) {
          const p = base + op.at + 1 + e * op.width + inner
          b[p] = perm[b[p]!]!
        }
      }
    }
  }
  return {
    unsupported,
    canonicalize(src, dst) {
      // rank[k]: how many nodes have a smaller signature than node k.
      for (let k = 0; k < n; k++) {
        let r = 0
        for (let l = 0; l < n; l++) if (l !== k && compareSignatures(src, l, k) < 0) r++
        rank[k] = r
      }
      let first = true
      for (let p = 0; p < perms.length; p++) {
        const inv = inverses[p]!
        let ordered = true
        for (let q = 1; q < n && ordered; q++) ordered = rank[inv[q - 1]!]! <= rank[inv[q]!]!
        if (!ordered) continue
        const perm = perms[p]!
        // Node k's block moves to perm[k], and every node id v inside becomes perm[v].
        for (let k = 0; k < n; k++) candidate.set(src.subarray(k * stride, (k + 1) * stride), perm[k]! * stride)
        candidate.set(src.subarray(n * stride, widthBytes), n * stride)
        for (let k = 0; k < n; k++) relabel(candidate, k * stride, blockOps, perm)
        relabel(candidate, 0, globalOps, perm)
        if (first || compare(candidate, best, widthBytes) < 0) best.set(candidate)
        first = false
      }
      dst.set(best)
    }
  }
}

function compare(a: Uint8Array, b: Uint8Array, w: number): number {
  for (let k = 0; k < w; k++) {
    const d = a[k]! - b[k]!
    if (d !== 0) return d
  }
  return 0
}

/** Every permutation of 0..n-1 (Heap's algorithm). */
function permutations(n: number): Uint8Array[] {
  const out: Uint8Array[] = []
  const a = Uint8Array.from({ length: n }, (_, k) => k)
  const c = new Uint8Array(n)
  out.push(a.slice())
  let i = 0
  while (i < n) {
    if (c[i]! < i) {
      const j = i % 2 === 0 ? 0 : c[i]!
      const t = a[j]!
      a[j] = a[i]!
      a[i] = t
      out.push(a.slice())
      c[i]!++
      i = 0
    } else {
      c[i] = 0
      i++
    }
  }
  return out
}

/** With no node ids inside, the canonical member has its node blocks in ascending byte order. */
function sortBlocks(src: Uint8Array, dst: Uint8Array, n: number, stride: number, widthBytes: number): void {
  if (src.length === widthBytes) dst.set(src)
  else for (let k = 0; k < widthBytes; k++) dst[k] = src[k]!
  // Insertion sort of a handful of blocks, in place.
  for (let a = 1; a < n; a++) {
    for (let k = a; k > 0 && compareBlocks(dst, (k - 1) * stride, k * stride, stride) > 0; k--) swapBlocks(dst, (k - 1) * stride, k * stride, stride)
  }
}

function compareBlocks(s: Uint8Array, x: number, y: number, w: number): number {
  for (let k = 0; k < w; k++) {
    const d = s[x + k]! - s[y + k]!
    if (d !== 0) return d
  }
  return 0
}

function swapBlocks(s: Uint8Array, x: number, y: number, w: number): void {
  for (let k = 0; k < w; k++) {
    const t = s[x + k]!
    s[x + k] = s[y + k]!
    s[y + k] = t
  }
}
