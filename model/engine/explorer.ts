/**
 * Breadth-first exhaustive search, level by level, on one thread or on N worker threads.
 * Trade-off: a level barrier costs a little parallelism but makes every count, representative
 * and counterexample independent of the worker count (see bfs.ts and level-worker.ts).
 */
import { CheckpointError, writeCheckpoint, type CheckpointReader, type LevelSnapshot } from "./checkpoint.js"
import { ALLOCATION_FAILED_MESSAGE, DEFAULT_SEGMENT_SHIFT, seenCapacityFor } from "./seen-set.js"
import type { Model } from "./model.js"
import { recordLookup, reconstructTrace, ReplayDivergence, type EdgeLookup, type TraceStep } from "./path.js"
import { DEFAULT_CHUNK_SHIFT } from "./rows.js"
import type { DiskSearchOptions } from "./disk.js"
import { SequentialBfs } from "./bfs.js"
import { compareViolations, type RoundStats, type SearchOptions, type SearchProfile, type ViolationRecord } from "./search-types.js"

export interface ExploreOptions {
  readonly workers: number
  /**
   * Run a one-worker search in a worker thread too (the compiled code, in a fresh isolate),
   * rather than on the calling thread. Results are the same either way.
   */
  readonly isolate?: boolean
  readonly symmetry: boolean
  readonly deadlock: boolean
  /** Names of the invariants to check; all of the model's when absent. */
  readonly invariants?: readonly string[]
  readonly maxDepth?: number
  readonly maxStates?: number
  /**
   * A memory budget in bytes of resident memory (all threads): the search stops at a level
   * boundary once the next level is projected to pass it (or it is passed already).
   */
  readonly maxMemory?: number
  /** Called about every `progressSeconds` on long runs. */
  readonly onProgress?: (p: Progress) => void
  readonly progressSeconds?: number
  /**
   * Rows per chunk of the chunked tables (level stores, edge records), as a power of two;
   * default 16. Only tests change it, to cross chunk boundaries on small models.
   */
  readonly chunkShift?: number
  /**
   * Slots per segment of the hash tables (seen set, level maps), as a power of two; default 27.
   * Only tests change it, to cross segment boundaries on small models.
   */
  readonly segmentShift?: number
  /**
   * Write a checkpoint (checkpoint.ts) to `dir` at the first level boundary after every
   * `everySeconds` of search (0: at every one). `identity` names the model and the checks; a
   * resumed search must have the same.
   */
  readonly checkpoint?: { readonly dir: string; readonly everySeconds: number }
  /**
   * What, beside what the search knows (the model's name, state width and actions, symmetry,
   * deadlock, the invariants), tells this search apart from another in a checkpoint: the variant
   * and the bounds, say. A resumed search must have the same.
   */
  readonly identity?: Readonly<Record<string, unknown>>
  /** Start from this checkpoint's level instead of the initial states (its identity is checked first). */
  readonly resume?: CheckpointReader
  /** Called after each checkpoint is written. */
  readonly onCheckpoint?: (c: { readonly depth: number; readonly distinct: number; readonly dir: string; readonly writeSeconds: number }) => void
  /**
   * Keep the seen set, the levels and the edge records on disk (disk.ts), with a buffer of
   * bounded size in memory; one thread, no checkpoint, and maxMemory does not apply.
   */
  readonly disk?: DiskSearchOptions
  /** Called at the end of a parallel search with where its time went (bench/parallel-profile.ts). */
  readonly onProfile?: (p: SearchProfile) => void
}

export interface Progress {
  readonly seconds: number
  readonly generated: number
  readonly distinct: number
  readonly queue: number
  readonly depth: number
}

/** Why a search ended before exploring every reachable state. */
export type StopReason =
  | { readonly cap: "max-depth"; readonly limit: number; readonly unexplored: number }
  | { readonly cap: "max-states"; readonly limit: number; readonly unexplored: number }
  /** The memory budget (bytes) would be passed by the next level. */
  | { readonly cap: "memory"; readonly limit: number; readonly unexplored: number }
  /** An allocation failed during the next level: memory ran out (limit: the resident bytes then). */
  | { readonly cap: "out-of-memory"; readonly limit: number; readonly unexplored: number }

export interface ExploreResult {
  readonly generated: number
  readonly distinct: number
  readonly depth: number
  readonly seconds: number
  readonly coverage: ReadonlyArray<{ readonly action: string; readonly count: number }>
  readonly seenBytes: number
  /** Where a resumed search started: the checkpoint's level, states and search time before it. */
  readonly resumed: { readonly depth: number; readonly distinct: number; readonly generated: number; readonly seconds: number } | null
  readonly stopped: StopReason | null
  readonly violation: null | {
    readonly kind: ViolationRecord["kind"]
    readonly invariant: string
    readonly trace: readonly TraceStep[]
  }
}

/** What a driver (one thread or a pool of workers) does each round. */
export interface RoundDriver {
  seed(): Promise<RoundStats[]>
  /** Instead of seed: the seen set, frontier, edge records and counters of a checkpoint. */
  restore(checkpoint: CheckpointReader): Promise<RoundStats[]>
  /** The tables at this level boundary, for a checkpoint (valid until the next round). */
  snapshot(): Promise<LevelSnapshot>
  round(successorLength: number): Promise<RoundStats[]>
  violations(): Promise<ViolationRecord[]>
  /** The edge records of every level so far (a resumed search's included), for the counterexample. */
  records(): Promise<EdgeLookup>
  close(): Promise<void>
  /** Generated, distinct and queued states right now (may be read mid-round). */
  live(): [number, number, number]
  /** Arranges for `fn` to be called now and then during a round. */
  attachTicker(fn: () => void): void
  /** Where a parallel search's time went, phase by phase (none for a search on one thread). */
  profile?(): SearchProfile
}

/** Resolves the invariant selection to the model's invariant objects, or throws on unknown names. */
export function selectInvariants(model: Model, names: readonly string[] | undefined) {
  if (names === undefined) return { stateInvariants: model.stateInvariants, stepInvariants: model.stepInvariants }
  const known = [...model.stateInvariants, ...model.stepInvariants].map((i) => i.name)
  for (const n of names) {
    if (!known.includes(n)) throw new RangeError(`unknown invariant ${n} (known: ${known.join(", ")})`)
  }
  return {
    stateInvariants: model.stateInvariants.filter((i) => names.includes(i.name)),
    stepInvariants: model.stepInvariants.filter((i) => names.includes(i.name))
  }
}

export function searchOptions(model: Model, options: ExploreOptions, index: number): SearchOptions {
  return {
    index,
    count: options.workers,
    symmetry: options.symmetry,
    deadlock: options.deadlock,
    ...selectInvariants(model, options.invariants),
    chunkShift: options.chunkShift ?? DEFAULT_CHUNK_SHIFT,
    segmentShift: options.segmentShift ?? DEFAULT_SEGMENT_SHIFT
  }
}

/** What a search on the calling thread offers its driver (bfs.ts, disk.ts). */
export interface OneThreadSearch {
  tick: (() => void) | undefined
  readonly violation: ViolationRecord | null
  live(): [number, number, number]
  stats(): RoundStats
  seedInitialStates(): void
  expandFrontier(successorLength: number): void
  finishLevel(): void
}

/** The driver of a search on the calling thread; `rest` is what differs between such searches. */
export function oneThreadDriver(search: OneThreadSearch, rest: Pick<RoundDriver, "restore" | "snapshot" | "records" | "close">): RoundDriver {
  return {
    ...rest,
    live: () => search.live(),
    attachTicker: (fn) => {
      search.tick = fn
    },
    seed: async () => {
      search.seedInitialStates()
      return [search.stats()]
    },
    round: async (successorLength) => {
      search.expandFrontier(successorLength)
      search.finishLevel()
      return [search.stats()]
    },
    violations: async () => (search.violation ? [search.violation] : [])
  }
}

/** Runs the whole search on the calling thread. */
export function localDriver(model: Model, options: ExploreOptions): RoundDriver {
  const search = new SequentialBfs(model, searchOptions(model, { ...options, workers: 1 }, 0))
  return oneThreadDriver(search, {
    restore: async (checkpoint) => {
      search.restore(checkpoint)
      return [search.stats()]
    },
    snapshot: async () => search.snapshot(),
    records: async () => recordLookup(search.recordSet()),
    close: async () => {}
  })
}

function sum(stats: RoundStats[], pick: (s: RoundStats) => number): number {
  return stats.reduce((a, s) => a + pick(s), 0)
}

/**
 * The resident memory after the next level, projected: what the states so far take each (above
 * the memory before the search), times the states the next level is expected to add (the
 * frontier times the last level's new states per frontier state), with half again for the tables
 * that grow by reallocation; and, if the seen set must grow to hold them, the slots it adds (it
 * grows in place, seen-set.ts; 8 bytes a slot).
 */
function projectedBytes(baseline: number, distinct: number, frontier: number, growth: number, seenBytes: number): number {
  const rss = process.memoryUsage.rss()
  const perState = Math.max(0, rss - baseline) / Math.max(1, distinct)
  const added = frontier * growth
  const seenCapacity = seenBytes / 8
  const seenGrowth = seenCapacity > 0 ? (seenCapacityFor(distinct + added, seenCapacity) - seenCapacity) * 8 : 0
  return rss + added * perState * 1.5 + seenGrowth
}

/** Drives rounds until the search is exhausted, a violation is found or a cap is hit. */
export async function explore(model: Model, options: ExploreOptions, driver: RoundDriver): Promise<ExploreResult> {
  const started = performance.now()
  const elapsed = () => (performance.now() - started) / 1000
  const identity = searchIdentity(model, options)
  const resumed = options.resume ? checkResumable(options.resume, identity) : null
  let stats = resumed ? await driver.restore(options.resume!) : await driver.seed()
  let depth = resumed ? resumed.depth : sum(stats, (s) => s.frontier) > 0 ? 1 : 0
  options.resume?.close()
  // For the memory budget: the last level's growth (new states per frontier state).
  let growth = resumed?.growth ?? 1
  let lastCheckpoint = elapsed()
  let checkpointDepth = resumed?.depth ?? 0
  // Due every `everySeconds`, and forced where a cap stops the search, so that it can be resumed
  // with a larger one.
  const checkpoint = async (force: boolean) => {
    const c = options.checkpoint
    if (c === undefined || checkpointDepth === depth || (!force && elapsed() - lastCheckpoint < c.everySeconds)) return
    const writing = performance.now()
    const snapshot = await driver.snapshot()
    const seconds = (resumed?.seconds ?? 0) + elapsed()
    writeCheckpoint(
      c.dir,
      {
        identity,
        depth,
        distinct: sum(stats, (s) => s.distinct),
        generated: sum(stats, (s) => s.generated),
        coverage: model.families.map((_, k) => sum(stats, (s) => s.coverage[k]!)),
        frontier: sum(stats, (s) => s.frontier),
        widthWords: model.widthBytes >> 2,
        growth,
        seconds
      },
      snapshot
    )
    lastCheckpoint = elapsed()
    checkpointDepth = depth
    options.onCheckpoint?.({ depth, distinct: sum(stats, (s) => s.distinct), dir: c.dir, writeSeconds: (performance.now() - writing) / 1000 })
  }
  let stopped: StopReason | null = null
  let lastProgress = 0
  const every = options.progressSeconds ?? 3
  const report = () => {
    if (!options.onProgress || elapsed() - lastProgress < every) return
    lastProgress = elapsed()
    const [generated, distinct, queue] = driver.live()
    options.onProgress({ seconds: elapsed(), generated, distinct, queue, depth })
  }
  driver.attachTicker(report)
  let violations = await driver.violations()
  // For the memory budget: the resident memory before the search.
  const baseline = process.memoryUsage.rss()
  while (violations.length === 0) {
    const frontier = sum(stats, (s) => s.frontier)
    if (frontier === 0) break
    await checkpoint(false)
    if (options.maxDepth !== undefined && depth >= options.maxDepth) {
      stopped = { cap: "max-depth", limit: options.maxDepth, unexplored: frontier }
      await checkpoint(true)
      break
    }
    if (options.maxStates !== undefined && sum(stats, (s) => s.distinct) >= options.maxStates) {
      stopped = { cap: "max-states", limit: options.maxStates, unexplored: frontier }
      await checkpoint(true)
      break
    }
    if (options.maxMemory !== undefined && options.disk === undefined && projectedBytes(baseline, sum(stats, (s) => s.distinct), frontier, growth, sum(stats, (s) => s.seenBytes)) > options.maxMemory) {
      stopped = { cap: "memory", limit: options.maxMemory, unexplored: frontier }
      await checkpoint(true)
      break
    }
    try {
      const before = sum(stats, (s) => s.distinct)
      const next = await driver.round(depth + 1)
      growth = (sum(next, (s) => s.distinct) - before) / frontier
      stats = next
    } catch (e) {
      // A table that cannot grow ends the search at the last complete level, which the counts describe.
      if (!(e instanceof Error) || !e.message.includes(ALLOCATION_FAILED_MESSAGE)) throw e
      stopped = { cap: "out-of-memory", limit: process.memoryUsage.rss(), unexplored: frontier }
      break
    }
    if (sum(stats, (s) => s.frontier) > 0) depth++
    violations = await driver.violations()
    report()
  }
  const coverage = model.families.map((f, k) => ({ action: f.name, count: sum(stats, (s) => s.coverage[k]!) }))
  let violation: ExploreResult["violation"] = null
  if (violations.length > 0) {
    const first = violations.sort(compareViolations)[0]!
    const trace = reconstructTrace(model, await driver.records(), first, options.symmetry)
    confirmViolation(model, first, trace)
    violation = { kind: first.kind, invariant: first.invariant, trace }
  }
  const profile = driver.profile?.()
  if (profile !== undefined) options.onProfile?.(profile)
  return {
    generated: sum(stats, (s) => s.generated),
    distinct: sum(stats, (s) => s.distinct),
    depth,
    seconds: elapsed(),
    coverage,
    seenBytes: sum(stats, (s) => s.seenBytes),
    resumed: resumed ? { depth: resumed.depth, distinct: resumed.distinct, generated: resumed.generated, seconds: resumed.seconds } : null,
    stopped,
    violation
  }
}

/** What a checkpoint of this search records about it, so that a resume can tell it is the same search. */
export function searchIdentity(model: Model, options: ExploreOptions): Record<string, unknown> {
  const { stateInvariants, stepInvariants } = selectInvariants(model, options.invariants)
  return {
    model: model.protocol,
    ...options.identity,
    widthBytes: model.widthBytes,
    actions: model.families.map((f) => f.name),
    symmetry: options.symmetry,
    deadlock: options.deadlock,
    invariants: [...stateInvariants, ...stepInvariants].map((i) => i.name)
  }
}

/** The checkpoint's header, if it was written by this same search; else a CheckpointError saying what differs. */
export function checkResumable(checkpoint: CheckpointReader, identity: Record<string, unknown>) {
  const h = checkpoint.header
  const theirs = h.identity as Record<string, unknown>
  const differ = [...new Set([...Object.keys(identity), ...Object.keys(theirs)])].filter((k) => JSON.stringify(identity[k]) !== JSON.stringify(theirs[k]))
  if (differ.length > 0) {
    checkpoint.close()
    const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v))
    throw new CheckpointError(
      `the checkpoint in ${checkpoint.dir} is of another search: ${differ.map((k) => `${k} ${show(theirs[k])} there, ${show(identity[k])} here`).join("; ")}`
    )
  }
  return h
}

/** A replayed counterexample must end in the violation the search reported. */
function confirmViolation(model: Model, v: ViolationRecord, trace: readonly TraceStep[]): void {
  const last = trace[trace.length - 1]!.state
  const ok =
    v.kind === "deadlock" ||
    (v.kind === "state" && model.stateInvariants.find((i) => i.name === v.invariant)?.holds(last) === false) ||
    (v.kind === "step" &&
      trace.length >= 2 &&
      model.stepInvariants.find((i) => i.name === v.invariant)?.holds(trace[trace.length - 2]!.state, last) === false)
  if (!ok) throw new ReplayDivergence(`replayed trace does not violate ${v.invariant}; the model is not deterministic`)
}
