/** `replcheck check`: build the model, search it, write the counterexample, report. */
import { freemem } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { CHECKPOINT_FILE, CheckpointError, CheckpointReader } from "../engine/checkpoint.js"
import { checkResumable, searchIdentity, selectInvariants, type ExploreOptions, type Progress } from "../engine/explorer.js"
import { DISK_IO_BYTES, diskBufferBytes } from "../engine/disk.js"
import { runSearch } from "../engine/run.js"
import { workerScript } from "../protocols/load.js"
import { counterexampleFiles, witnessOf } from "../trace/counterexample.js"
import { reachableGraph } from "../trace/dot.js"
import type { CheckCommand } from "./args.js"
import { UsageError } from "./args.js"
import type { CheckReport } from "./check-report.js"
import { Files } from "./files.js"

export { CheckReport } from "./check-report.js"

/** The memory budget of a search on disk without --memory. */
const DEFAULT_DISK_MEMORY = 2 ** 30

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`

/** TLC's "calculated (optimistic)" fingerprint collision probability. */
export function collisionProbability(distinct: number, generated: number): number {
  return (distinct * (generated - distinct)) / 2 ** 64
}

/** What a checkpoint's progress line says. */
export interface CheckpointWritten {
  readonly depth: number
  readonly distinct: number
  readonly file: string
  readonly writeSeconds: number
}

export const runCheck = (cmd: CheckCommand, onProgress?: (p: Progress) => void, onCheckpoint?: (c: CheckpointWritten) => void) =>
  Effect.gen(function* () {
    const ref = { protocol: cmd.protocol.name, ...(cmd.protocol.source ? { source: cmd.protocol.source } : {}), variant: cmd.variant, config: cmd.config, symmetry: cmd.symmetry }
    const model = yield* Effect.try({
      try: () => cmd.protocol.build(cmd.config, cmd.variant, { symmetry: cmd.symmetry }),
      catch: (e) => new UsageError({ message: (e as Error).message })
    })
    const selected = yield* Effect.try({
      try: () => selectInvariants(model, cmd.invariants),
      catch: (e) => new UsageError({ message: (e as Error).message })
    })
    // By default most of what is free when the run starts, with what this process holds already;
    // a search on disk, 1 GiB.
    const memoryBudget = cmd.memory ?? (cmd.disk !== undefined ? DEFAULT_DISK_MEMORY : Math.floor(freemem() * 0.9) + process.memoryUsage.rss())
    const disk = cmd.disk
    const bufferBytes = disk === undefined ? null : diskBufferBytes(memoryBudget, process.memoryUsage.rss())
    if (disk !== undefined && bufferBytes === null) {
      return yield* Effect.fail(new UsageError({
        message: `--memory ${mib(memoryBudget)} is too small for --disk: this process holds ${mib(process.memoryUsage.rss())} already, and the search needs ${mib(DISK_IO_BYTES + 16 * 2 ** 20)} more`
      }))
    }
    const options: ExploreOptions = {
      workers: cmd.workers,
      symmetry: cmd.symmetry,
      deadlock: cmd.deadlock,
      invariants: cmd.invariants,
      maxDepth: cmd.maxDepth,
      maxStates: cmd.maxStates,
      ...(disk !== undefined && bufferBytes !== null ? { disk: { dir: disk, bufferBytes } } : { maxMemory: memoryBudget }),
      onProgress,
      identity: { ...(cmd.protocol.source ? { source: cmd.protocol.source } : {}), variant: cmd.variant, config: cmd.config },
      ...(cmd.checkpoint ? { checkpoint: cmd.checkpoint } : {})
    }
    const files = yield* Files
    if (cmd.checkpoint) yield* files.checkWritableDir(cmd.checkpoint.dir)
    if (disk !== undefined) yield* files.checkWritableDir(disk)
    // A checkpoint that cannot be resumed is bad input, found before anything runs.
    const resume = cmd.resume
    const reader =
      resume === undefined
        ? undefined
        : yield* Effect.try({
            try: () => {
              const r = new CheckpointReader(resume)
              checkResumable(r, searchIdentity(model, options))
              return r
            },
            catch: (e) => new UsageError({ message: `--resume ${resume}: ${e instanceof CheckpointError ? e.message : String(e)}` })
          })
    const withCheckpoints: ExploreOptions = {
      ...options,
      ...(reader ? { resume: reader } : {}),
      onCheckpoint: (c) => {
        onCheckpoint?.({ depth: c.depth, distinct: c.distinct, file: join(c.dir, CHECKPOINT_FILE), writeSeconds: c.writeSeconds })
      }
    }
    // A counterexample must have somewhere to go: found out now, not after the search.
    yield* files.checkWritableDir(cmd.out)
    // The graph first: one too large for --dot is bad input, found before the search runs.
    if (cmd.dot !== undefined) {
      const dot = cmd.dot
      const graph = yield* Effect.try({
        try: () =>
          reachableGraph(model, {
            symmetry: cmd.symmetry,
            stateInvariants: selected.stateInvariants.map((i) => i.name),
            stepInvariants: selected.stepInvariants.map((i) => i.name)
          }),
        catch: (e) => new UsageError({ message: `--dot ${dot}: ${(e as Error).message}` })
      })
      yield* files.writeAtomic(dot, graph.dot)
    }
    const result = yield* runSearch(workerScript, ref, model, withCheckpoints)
    let violation: CheckReport["violation"] = null
    if (result.violation) {
      const v = result.violation
      const ctx = { protocol: ref.protocol, variant: ref.variant, config: ref.config, invariant: v.invariant, kind: v.kind }
      const base = join(cmd.out, `${ref.protocol}-${ref.variant}-${v.invariant}`)
      // A violation is reported as one even when its files cannot be written (neither is left then).
      const written = yield* files
        .writeAllAtomic(counterexampleFiles(model, v.trace, ctx, base, cmd.html))
        .pipe(Effect.either)
      violation = {
        invariant: v.invariant,
        kind: v.kind,
        length: v.trace.length,
        witness: witnessOf(model, v.trace, ctx),
        traceFile: written._tag === "Right" ? `${base}.itf.json` : null,
        textFile: written._tag === "Right" ? `${base}.txt` : null,
        htmlFile: written._tag === "Right" && cmd.html ? `${base}.html` : null,
        writeError: written._tag === "Left" ? written.left.message : null
      }
    }
    const coverage = Object.fromEntries(result.coverage.map((c) => [c.action, c.count]))
    const report: CheckReport = {
      protocol: ref.protocol,
      variant: ref.variant,
      config: ref.config,
      verdict: result.violation ? "violation" : result.stopped ? "incomplete" : "ok",
      workers: cmd.workers,
      symmetry: cmd.symmetry,
      deadlock: cmd.deadlock,
      invariants: [...selected.stateInvariants, ...selected.stepInvariants].map((i) => i.name),
      generated: result.generated,
      distinct: result.distinct,
      depth: result.depth,
      seconds: Math.round(result.seconds * 1000) / 1000,
      // This run's rate: a resumed search's counts include what it generated before.
      statesPerSecond: result.seconds > 0 ? Math.round((result.generated - (result.resumed?.generated ?? 0)) / result.seconds) : 0,
      complete: result.stopped === null && result.violation === null,
      stopped: result.stopped,
      violation,
      collisionProbability: collisionProbability(result.distinct, result.generated),
      coverage,
      neverFired: result.coverage.filter((c) => c.count === 0).map((c) => c.action),
      seenSetBytes: result.seenBytes,
      seenSetBytesPerState: result.distinct > 0 ? result.seenBytes / result.distinct : 0,
      memoryBudgetBytes: memoryBudget,
      resumed: result.resumed && resume !== undefined ? { dir: resume, ...result.resumed, seconds: Math.round(result.resumed.seconds * 1000) / 1000 } : null,
      checkpoint: cmd.checkpoint ? { dir: cmd.checkpoint.dir, everySeconds: cmd.checkpoint.everySeconds } : null,
      disk: disk ?? null,
      dotFile: cmd.dot ?? null,
      peakRssBytes: process.resourceUsage().maxRSS * 1024
    }
    return report
  })
