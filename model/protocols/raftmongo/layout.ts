/**
 * RaftMongo's packed byte layout, the helper operators of the TLA+ spec read off the bytes, and
 * the conversion to and from the readable state (the TLA+ variables; schema in state.ts).
 * No Effect here: worker threads load this.
 */
import type { RaftMongoState } from "./state.js"

export interface RaftMongoConfig {
  readonly servers: number
  readonly maxTerm: number
  readonly maxLogLen: number
  readonly maxClientWriteSize: number
  [bound: string]: number
}

export const FOLLOWER = 0
export const LEADER = 1

// Offsets inside one server's block.
const TERM = 0
const ROLE = 1
const CP_TERM = 2
const CP_INDEX = 3
const LOG_LEN = 4
const LOG = 5

/**
 * Byte layout: one block per server (term, role, commit point term and index, log length, log
 * entry terms up to MaxLogLen + MaxClientWriteSize, the longest a successor can grow), then the
 * bitset of committed (term, index) pairs. Accessors take the server's position 0..n-1.
 */
export class RaftLayout {
  readonly n: number
  readonly capacity: number
  readonly stride: number
  readonly committedOffset: number
  readonly widthBytes: number
  readonly allServers: number
  /** Offset of the bytes a protocol built on RaftMongo adds to each server's block. */
  readonly extraOffset: number
  /** Bytes of a (term, index) bitset such as committedEntries. */
  readonly entrySetBytes: number

  /** `extraPerServer` bytes are appended to each server's block for protocols that extend RaftMongo. */
  constructor(
    readonly config: RaftMongoConfig,
    extraPerServer = 0
  ) {
    this.n = config.servers
    this.capacity = config.maxLogLen + config.maxClientWriteSize
    this.extraOffset = LOG + this.capacity
    this.stride = this.extraOffset + extraPerServer
    this.entrySetBytes = Math.ceil((config.maxTerm * config.maxLogLen) / 8)
    this.committedOffset = this.n * this.stride
    this.widthBytes = Math.ceil((this.committedOffset + this.entrySetBytes) / 4) * 4
    this.allServers = (1 << this.n) - 1
  }

  term(s: Uint8Array, i: number): number {
    return s[i * this.stride + TERM]!
  }
  setTerm(s: Uint8Array, i: number, t: number): void {
    s[i * this.stride + TERM] = t
  }
  isLeader(s: Uint8Array, i: number): boolean {
    return s[i * this.stride + ROLE] === LEADER
  }
  setRole(s: Uint8Array, i: number, role: number): void {
    s[i * this.stride + ROLE] = role
  }
  cpTerm(s: Uint8Array, i: number): number {
    return s[i * this.stride + CP_TERM]!
  }
  cpIndex(s: Uint8Array, i: number): number {
    return s[i * this.stride + CP_INDEX]!
  }
  setCommitPoint(s: Uint8Array, i: number, term: number, index: number): void {
    s[i * this.stride + CP_TERM] = term
    s[i * this.stride + CP_INDEX] = index
  }
  len(s: Uint8Array, i: number): number {
    return s[i * this.stride + LOG_LEN]!
  }
  /** Term of entry `index` (1-based) of server i's log; 0 for index 0 (GetTerm). */
  logTerm(s: Uint8Array, i: number, index: number): number {
    return index === 0 ? 0 : s[i * this.stride + LOG + index - 1]!
  }
  lastTerm(s: Uint8Array, i: number): number {
    return this.logTerm(s, i, this.len(s, i))
  }
  /** Appends one entry of `term` to server i's log. */
  append(s: Uint8Array, i: number, term: number): void {
    const b = i * this.stride
    s[b + LOG + s[b + LOG_LEN]!] = term
    s[b + LOG_LEN]!++
  }
  /** Drops server i's last entry, keeping the unused bytes zero. */
  dropLast(s: Uint8Array, i: number): void {
    const b = i * this.stride
    const len = s[b + LOG_LEN]!
    s[b + LOG + len - 1] = 0
    s[b + LOG_LEN] = len - 1
  }

  private bit(term: number, index: number): number {
    return (term - 1) * this.config.maxLogLen + (index - 1)
  }
  /** Is (term, index) in the entry bitset at `offset`? Pairs outside the bounds never are. */
  hasEntry(s: Uint8Array, offset: number, term: number, index: number): boolean {
    if (term < 1 || term > this.config.maxTerm || index < 1 || index > this.config.maxLogLen) return false
    const k = this.bit(term, index)
    return (s[offset + (k >> 3)]! & (1 << (k & 7))) !== 0
  }
  addEntry(s: Uint8Array, offset: number, term: number, index: number): void {
    if (term < 1 || term > this.config.maxTerm || index < 1 || index > this.config.maxLogLen) {
      throw new RangeError(`entry [term ${term}, index ${index}] is outside the packed bounds`)
    }
    const k = this.bit(term, index)
    s[offset + (k >> 3)]! |= 1 << (k & 7)
  }
  /** The (term, index) pairs in the entry bitset at `offset`, by term then index. */
  entries(s: Uint8Array, offset: number): Array<{ term: number; index: number }> {
    const out: Array<{ term: number; index: number }> = []
    for (let term = 1; term <= this.config.maxTerm; term++) {
      for (let index = 1; index <= this.config.maxLogLen; index++) if (this.hasEntry(s, offset, term, index)) out.push({ term, index })
    }
    return out
  }
  isCommitted(s: Uint8Array, term: number, index: number): boolean {
    return this.hasEntry(s, this.committedOffset, term, index)
  }
  addCommitted(s: Uint8Array, term: number, index: number): void {
    this.addEntry(s, this.committedOffset, term, index)
  }

  // Operators of RaftMongo.tla.

  /** CanSyncFrom(i, j) */
  canSyncFrom(s: Uint8Array, i: number, j: number): boolean {
    const li = this.len(s, i)
    return li < this.len(s, j) && this.lastTerm(s, i) === this.logTerm(s, j, li)
  }
  /** NotBehind(me, j) */
  notBehind(s: Uint8Array, me: number, j: number): boolean {
    const a = this.lastTerm(s, me)
    const b = this.lastTerm(s, j)
    return a > b || (a === b && this.len(s, me) >= this.len(s, j))
  }
  /** Agree(me, logIndex), as a bitmask of server positions. */
  agree(s: Uint8Array, me: number, index: number): number {
    const t = this.logTerm(s, me, index)
    let mask = 0
    for (let k = 0; k < this.n; k++) {
      if (this.len(s, k) >= index && this.logTerm(s, k, index) === t) mask |= 1 << k
    }
    return mask
  }
  /** CommitPointLessThan(i, j) */
  commitPointLessThan(s: Uint8Array, i: number, j: number): boolean {
    const ti = this.cpTerm(s, i)
    const tj = this.cpTerm(s, j)
    return ti < tj || (ti === tj && this.cpIndex(s, i) < this.cpIndex(s, j))
  }
  /** CanRollbackOplog(i, j) */
  canRollbackOplog(s: Uint8Array, i: number, j: number): boolean {
    const li = this.len(s, i)
    if (li === 0) return false
    const ti = this.lastTerm(s, i)
    return ti < this.lastTerm(s, j) && (li > this.len(s, j) || ti !== this.logTerm(s, j, li))
  }
  /** log[i] = log[j] */
  logsEqual(s: Uint8Array, i: number, j: number): boolean {
    const li = this.len(s, i)
    if (li !== this.len(s, j)) return false
    for (let k = 1; k <= li; k++) if (this.logTerm(s, i, k) !== this.logTerm(s, j, k)) return false
    return true
  }
  /** IsMajority for a bitmask of servers. */
  isMajority(mask: number): boolean {
    return popcount(mask) * 2 > this.n
  }

  /** Readable form of a packed state. */
  decode(s: Uint8Array): RaftMongoState {
    const servers = Array.from({ length: this.n }, (_, i) => i)
    return {
      committedEntries: this.entries(s, this.committedOffset),
      currentTerm: servers.map((i) => this.term(s, i)),
      state: servers.map((i) => (this.isLeader(s, i) ? "Leader" : "Follower")),
      commitPoint: servers.map((i) => ({ term: this.cpTerm(s, i), index: this.cpIndex(s, i) })),
      log: servers.map((i) => Array.from({ length: this.len(s, i) }, (_, k) => ({ term: this.logTerm(s, i, k + 1) })))
    }
  }

  /** Packs a readable state; throws a RangeError naming the field that does not fit the bounds. */
  encode(state: RaftMongoState, into: Uint8Array): void {
    const fits = (v: number, max: number, what: string) => {
      if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} = ${v} does not fit the bounds (0..${max})`)
      return v
    }
    for (const field of ["currentTerm", "state", "commitPoint", "log"] as const) {
      if (state[field].length !== this.n) throw new RangeError(`${field} has ${state[field].length} servers, expected ${this.n}`)
    }
    for (let i = 0; i < this.n; i++) {
      this.setTerm(into, i, fits(state.currentTerm[i]!, 255, `currentTerm[${i + 1}]`))
      this.setRole(into, i, state.state[i] === "Leader" ? LEADER : FOLLOWER)
      const cp = state.commitPoint[i]!
      this.setCommitPoint(into, i, fits(cp.term, 255, `commitPoint[${i + 1}].term`), fits(cp.index, 255, `commitPoint[${i + 1}].index`))
      const log = state.log[i]!
      fits(log.length, this.capacity, `Len(log[${i + 1}])`)
      for (const e of log) this.append(into, i, fits(e.term, 255, `log[${i + 1}] term`))
    }
    for (const e of state.committedEntries) this.addCommitted(into, e.term, e.index)
  }

  /** Symmetry: the orbit's canonical member has its server blocks in ascending byte order. */
  canonicalize(src: Uint8Array, dst: Uint8Array): void {
    dst.set(src)
    const w = this.stride
    // Insertion sort of at most a handful of blocks, in place.
    for (let a = 1; a < this.n; a++) {
      for (let b = a; b > 0 && compareBlocks(dst, (b - 1) * w, b * w, w) > 0; b--) swapBlocks(dst, (b - 1) * w, b * w, w)
    }
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

export function popcount(mask: number): number {
  let c = 0
  for (let m = mask; m !== 0; m &= m - 1) c++
  return c
}

/** Server positions in a bitmask, as node ids (1-based). */
export function idsOf(mask: number): Set<number> {
  const ids = new Set<number>()
  for (let k = 0; (1 << k) <= mask; k++) if (mask & (1 << k)) ids.add(k + 1)
  return ids
}
