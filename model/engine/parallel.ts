/**
 * The search on N worker threads over shared memory (the workers' side is level-worker.ts).
 * Trade-off: one seen set and one level map shared by all workers, so no state is ever sent
 * between threads, at the price of atomics on new states and tables that grow only between
 * phases. Messages carry only array references.
 */
import { Worker } from "node:worker_threads"
import { Context, Data, Effect, Layer } from "effect"
import type { ExploreOptions, RoundDriver } from "./explorer.js"
import { CTL, MAP, mapLimitOf, type SharedTables } from "./level-worker.js"
import type { Model, ModelRef } from "./model.js"
import { recordLookup, type RecordSet } from "./path.js"
import type { Reply, Request } from "./search-worker.js"
import { allocInt32, allocSlots, DEFAULT_SEGMENT_SHIFT, forEachOccupied, growFingerprints, growsInPlace, place, seenCapacityFor, slotBytes, type Slots } from "./seen-set.js"
import type { PhaseTimes, RoundStats, SearchProfile } from "./search-types.js"
import { chunkShiftFor, DEFAULT_CHUNK_SHIFT, Rows } from "./rows.js"
import { EDGE, META } from "./state-store.js"
import { collectGarbage } from "./tuning.js"

export class WorkerFailed extends Data.TaggedError("WorkerFailed")<{ readonly message: string }> {}

/** A worker thread that answers one request with one message. */
export interface WorkerHandle {
  request<A>(message: unknown): Promise<A>
  terminate(): Promise<void>
}

/** node:worker_threads as an Effect service (a scoped worker is terminated with its scope). */
export class WorkerThreads extends Context.Tag("replcheck/WorkerThreads")<
  WorkerThreads,
  { readonly spawn: (script: string, data: unknown) => Effect.Effect<WorkerHandle, WorkerFailed, import("effect").Scope.Scope> }
>() {
  static readonly layer = Layer.succeed(WorkerThreads, {
    spawn: (script, data) =>
      Effect.acquireRelease(
        Effect.try({
          try: () => startWorker(script, data),
          catch: (e) => new WorkerFailed({ message: `cannot start worker ${script}: ${String(e)}` })
        }),
        (w) => Effect.promise(() => w.terminate())
      )
  })
}

function startWorker(script: string, data: unknown): WorkerHandle {
  const worker = new Worker(script, { workerData: data })
  let pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null
  let failure: Error | null = null
  const fail = (e: Error) => {
    failure = e
    pending?.reject(e)
    pending = null
  }
  worker.on("message", (msg: { error?: string }) => {
    const p = pending
    pending = null
    if (msg && typeof msg.error === "string") p?.reject(new Error(msg.error))
    else p?.resolve(msg)
  })
  worker.on("error", (e) => fail(e))
  worker.on("exit", (code) => fail(new Error(`worker exited with code ${code}`)))
  return {
    request: <A>(message: unknown) =>
      new Promise<A>((resolve, reject) => {
        if (failure) return reject(failure)
        pending = { resolve: resolve as (v: unknown) => void, reject }
        worker.postMessage(message)
      }),
    terminate: async () => {
      worker.removeAllListeners("exit")
      await worker.terminate()
    }
  }
}

/** Replaced tables awaiting collection that make every thread collect them (see parallelDriver). */
export const COLLECT_AFTER_BYTES = 16 * 2 ** 20

/** Allocates a zeroed shared Int32Array. */
const shared = (length: number) => allocInt32(length, true)

/** Initial table sizes; tests make them tiny to drive every growth path. */
export interface Tuning {
  /** Entries of the first level tables. */
  readonly initialCapacity: number
  /** The fan-out assumed per state before a larger one is seen. */
  readonly fanoutFloor: number
  /** Rows per chunk of the level stores, as a power of two (rows.ts; default 16). */
  readonly chunkShift?: number
  /** Slots per segment of the seen set and the level map, as a power of two (seen-set.ts; default 27). */
  readonly segmentShift?: number
  /** Run where a table was replaced, in the coordinator (tuning.ts; none where workers share its thread, as in tests). */
  readonly collectGarbage?: () => void
}

/** One level's store in shared memory: states, metadata and locks, chunked alike (rows.ts). */
interface Level {
  readonly words: Rows
  readonly meta: Rows
  readonly locks: Rows
  count: number
}

/**
 * The coordinator of a parallel search: it owns the shared tables (growing them between phases,
 * when no worker touches them) and runs each round as an expand phase, repeated after every
 * growth pause, then a finish phase over disjoint ranges of the new level.
 */
export function parallelDriver(
  workers: readonly WorkerHandle[],
  progress: Float64Array,
  model: Model,
  tuning: Tuning = { initialCapacity: 4096, fanoutFloor: 64 }
): RoundDriver {
  const W = workers.length
  const width = model.widthBytes >> 2
  const ctl = shared(CTL.size)
  const segmentShift = tuning.segmentShift ?? DEFAULT_SEGMENT_SHIFT
  let seen = allocSlots(2 * tuning.initialCapacity, 2, segmentShift, true, true)
  let seenSize = 0
  let previousCount = 1
  // One chunk size for a level's states, metadata and locks (the states' shrinks for wide states).
  const chunkShift = chunkShiftFor(Math.max(width, META), tuning.chunkShift ?? DEFAULT_CHUNK_SHIFT)
  const level = (rows: number): Level => {
    const l = { words: new Rows(width, chunkShift, true), meta: new Rows(META, chunkShift, true), locks: new Rows(1, chunkShift, true), count: 0 }
    grow(l, rows)
    return l
  }
  const grow = (l: Level, rows: number) => {
    l.words.reserve(rows)
    l.meta.reserve(rows)
    l.locks.reserve(rows)
  }
  let frontier = level(0)
  // The edge records of every level, written by the finish phases at levelEnds' last + position.
  const records = new Rows(EDGE, tuning.chunkShift ?? DEFAULT_CHUNK_SHIFT, true)
  const levelEnds: number[] = []
  const recordsSoFar = () => levelEnds[levelEnds.length - 1] ?? 0
  const initial = tuning.initialCapacity
  let next = level(initial)
  let map = allocSlots(initial, MAP, segmentShift, true)
  // Bumped when the seen sets and level maps replaced since the last bump add up to
  // COLLECT_AFTER_BYTES, so that every thread collects them (tuning.ts, collectGarbage);
  // `collected` is the generation last collected here. Smaller tables are left to V8: a full
  // collection on every thread costs 5-10 ms, and the small tables' early replacements made it
  // 8-12% of a 1.5 s search (bench/parallel-profile.ts).
  let generation = 0
  let collected = 0
  let replacedBytes = 0
  const replaced = (old: Slots) => {
    replacedBytes += slotBytes(old)
    if (replacedBytes >= COLLECT_AFTER_BYTES) {
      replacedBytes = 0
      generation++
    }
  }
  let replies: Reply[] = []
  let maxFanout = 0
  let timer: NodeJS.Timeout | undefined

  const tables = (): SharedTables => ({
    ctl,
    seen,
    chunkShift,
    frontierMeta: frontier.meta.chunks,
    frontierWords: frontier.words.chunks,
    frontierCount: frontier.count,
    nextMeta: next.meta.chunks,
    nextWords: next.words.chunks,
    nextLocks: next.locks.chunks,
    nextCapacity: next.words.capacity,
    map,
    fanoutFloor: tuning.fanoutFloor,
    generation,
    records: records.chunks,
    recordShift: records.shift,
    recordBase: recordsSoFar()
  })
  const all = (msg: (k: number) => Request) => Promise.all(workers.map((w, k) => w.request<Reply>(msg(k))))
  const phase = (): PhaseTimes => ({ calls: 0, wallMs: 0, busyMs: 0, maxBusyMs: 0 })
  const profile: SearchProfile = { workers: W, levels: 0, seed: phase(), expand: phase(), finish: phase(), rehash: phase(), pauses: 0, growMs: 0, collectMs: 0 }
  /** `all`, timed into one kind of phase of the profile. */
  const timed = async (times: PhaseTimes, msg: (k: number) => Request) => {
    const started = performance.now()
    const answers = await all(msg)
    times.calls++
    times.wallMs += performance.now() - started
    let max = 0
    for (const a of answers) {
      times.busyMs += a.busyMs
      max = Math.max(max, a.busyMs)
    }
    times.maxBusyMs += max
    return answers
  }

  /** Room for `need` more next-level states: grows the level map and the next-level store. */
  const reserve = (need: number) => {
    const count = Atomics.load(ctl, CTL.nextCount)
    const want = count + need
    let mapCap = map.capacity
    while (mapLimitOf(mapCap) - 4 * W < want) mapCap *= 2
    if (mapCap !== map.capacity) {
      const bigger = allocSlots(mapCap, MAP, segmentShift, true)
      // Every entry is published between phases (its position word is set), so hi is non-zero.
      forEachOccupied(map, 0, map.capacity, (seg, i) => place(bigger, seg[i]!, seg[i + 1]!, seg[i + 2]!))
      replaced(map)
      map = bigger
    }
    // The level store grows by new chunks: nothing is copied, and the entries so far stay put.
    grow(next, want + 4 * W)
  }
  const slack = () => 16 * W * Math.max(tuning.fanoutFloor, maxFanout)

  /** Runs an expanding phase (seed or round), growing tables whenever a worker pauses. */
  const expandPhase = async (first: (k: number) => Request, times: PhaseTimes) => {
    reserve(slack())
    replies = await timed(times, first)
    for (;;) {
      maxFanout = Math.max(maxFanout, ...replies.map((r) => r.maxFanout))
      if (replies.every((r) => r.status === "done")) break
      const growing = performance.now()
      reserve(Math.max(slack(), Atomics.load(ctl, CTL.nextCount)))
      profile.growMs += performance.now() - growing
      profile.pauses++
      Atomics.store(ctl, CTL.pause, 0)
      replies = await timed(times, () => ({ type: "resume", tables: tables() }))
    }
  }

  /** Closes the level: the new states join the seen set and become the frontier. */
  const finishPhase = async () => {
    const count = Atomics.load(ctl, CTL.nextCount)
    const seenCap = seenCapacityFor(seenSize + count, seen.capacity)
    if (seenCap !== seen.capacity && growsInPlace(seen)) {
      // A large seen set grows in place, here: a few passes on one thread, every worker waiting.
      const growing = performance.now()
      seen = growFingerprints(seen, seenSize, seenCap)
      const ms = performance.now() - growing
      profile.rehash.calls++
      profile.rehash.wallMs += ms
      profile.rehash.busyMs += ms
      profile.rehash.maxBusyMs += ms
    } else if (seenCap !== seen.capacity) {
      // A small one is copied into a new table by every worker at once.
      const old = seen
      const slots = old.capacity
      seen = allocSlots(seenCap, 2, segmentShift, true, true)
      replaced(old)
      const per = Math.ceil(slots / W)
      await timed(profile.rehash, (k) => ({ type: "rehash", tables: tables(), old, from: Math.min(slots, k * per), to: Math.min(slots, (k + 1) * per) }))
    }
    records.reserve(recordsSoFar() + count)
    const per = Math.ceil(count / W)
    replies = await timed(profile.finish, (k) => ({ type: "finish", tables: tables(), from: Math.min(count, k * per), to: Math.min(count, (k + 1) * per) }))
    levelEnds.push(recordsSoFar() + count)
    seenSize += count
    profile.levels++
    // The new level becomes the frontier. The next level's tables are sized for the growth seen
    // in this level, with a margin, so that few rounds pause to grow them.
    const expected = Math.ceil(count * Math.min(4, Math.max(1, count / Math.max(1, previousCount))) * 1.3)
    previousCount = count
    const old = frontier
    next.count = count
    frontier = next
    // The old frontier's tables hold the next level: states and metadata are written before they
    // are read, and the locks start at 0 again.
    for (const chunk of old.locks.chunks) chunk.fill(0)
    grow(old, Math.max(initial, expected))
    old.count = 0
    next = old
    // The level map is cleared for the next level, and replaced only when it must be larger.
    const mapCap = Math.max(initial, 2 ** Math.ceil(Math.log2(expected / 0.85 + 1)))
    if (mapCap > map.capacity) {
      replaced(map)
      map = allocSlots(mapCap, MAP, segmentShift, true)
    } else {
      for (const segment of map.segments) segment.fill(0)
    }
    if (generation !== collected) {
      collected = generation
      const collecting = performance.now()
      tuning.collectGarbage?.()
      profile.collectMs += performance.now() - collecting
    }
    ctl[CTL.cursor] = 0
    ctl[CTL.nextCount] = 0
  }

  const recordSet = (): RecordSet => ({ records: records.chunks, shift: records.shift, levelEnds })

  const stats = (): RoundStats[] =>
    replies.map((r, k) => ({
      generated: r.generated,
      distinct: k === 0 ? seenSize : 0,
      frontier: k === 0 ? frontier.count : 0,
      coverage: r.coverage,
      seenBytes: k === 0 ? slotBytes(seen) : 0
    }))

  return {
    seed: async () => {
      reserve(model.initialStates().length + slack())
      await expandPhase(() => ({ type: "seed", tables: tables() }), profile.seed)
      await finishPhase()
      return stats()
    },
    round: async (successorLength) => {
      await expandPhase(() => ({ type: "expand", tables: tables(), successorLength }), profile.expand)
      await finishPhase()
      return stats()
    },
    restore: async (checkpoint) => {
      const h = checkpoint.header
      seen = allocSlots(seenCapacityFor(h.distinct, seen.capacity), 2, segmentShift, true, true)
      checkpoint.readSeen((hi, lo) => place(seen, hi, lo))
      seenSize = h.distinct
      frontier = level(h.frontier)
      const f = frontier
      const mask = 2 ** chunkShift - 1
      checkpoint.readFrontier(
        (p, m, b) => f.meta.chunk(p).set(m.subarray(b, b + META), (p & mask) * META),
        (p, words, at) => f.words.chunk(p).set(words.subarray(at, at + width), (p & mask) * width)
      )
      f.count = h.frontier
      checkpoint.readRecords(records)
      for (const end of h.levelEnds) levelEnds.push(end)
      previousCount = h.frontier
      generation++
      const none = h.coverage.map(() => 0)
      replies = await all((k) => ({ type: "restore", generated: k === 0 ? h.generated : 0, coverage: k === 0 ? h.coverage : none }))
      return stats()
    },
    snapshot: async () => ({
      seen,
      frontier: { count: frontier.count, shift: chunkShift, meta: frontier.meta.chunks, words: frontier.words.chunks },
      records: recordSet()
    }),
    violations: async () => replies.flatMap((r) => (r.violation ? [r.violation] : [])),
    profile: () => profile,
    records: async () => recordLookup(recordSet()),
    close: async () => {
      if (timer) clearInterval(timer)
    },
    live: () => {
      let generated = 0
      for (let k = 0; k < W; k++) generated += progress[k]!
      const nextCount = Atomics.load(ctl, CTL.nextCount)
      return [generated, seenSize + nextCount, Math.max(0, frontier.count - Atomics.load(ctl, CTL.cursor)) + nextCount]
    },
    attachTicker: (fn) => {
      timer = setInterval(fn, 1000)
      timer.unref()
    }
  }
}

/** Spawns N workers for a model and returns their driver; the workers live as long as the scope. */
export const spawnParallelDriver = (workerScript: () => string, ref: ModelRef, model: Model, options: ExploreOptions) =>
  Effect.gen(function* () {
    const threads = yield* WorkerThreads
    const script = yield* Effect.try({ try: workerScript, catch: (e) => new WorkerFailed({ message: (e as Error).message }) })
    const progress = new Float64Array(new SharedArrayBuffer(8 * options.workers))
    // What a worker needs of the options: no callbacks, and no checkpoint (the coordinator reads it).
    const { onProgress: _progress, onCheckpoint: _checkpoint, onProfile: _profile, resume: _resume, ...plain } = options
    const workers: WorkerHandle[] = []
    for (let index = 0; index < options.workers; index++) {
      workers.push(yield* threads.spawn(script, { ref, options: plain, index, progress }))
    }
    return parallelDriver(workers, progress, model, {
      initialCapacity: 4096,
      fanoutFloor: 64,
      collectGarbage,
      ...(options.chunkShift === undefined ? {} : { chunkShift: options.chunkShift }),
      ...(options.segmentShift === undefined ? {} : { segmentShift: options.segmentShift })
    })
  })
