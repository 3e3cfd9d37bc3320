/**
 * Writers and recovery sweeps of ADR 0002 over a SidecarStore, interleaved by a seeded
 * scheduler, with writer crashes at any point after the sidecar. The writers share one process:
 * its per-table write queue, and their heal-first barrier. The sweeps stand for other processes
 * opening the store. Every step is written as an event of the sidecar model, so each run can be
 * validated against it. `bugs` plants the three known bugs.
 */
import { Effect, Layer } from "effect"
import { TRACE_FORMAT, TRACE_VERSION, type TraceEvent, type TraceHeader } from "../../model/trace/events.js"
import { prng } from "../../model/trace/prng.js"
import { emptyState, head, memoryStore, SidecarStore, type SidecarRecord, type SidecarStoreService, type StoreState } from "./store.js"
import { apply, classify, heal, readingOf, type Decision, type Reading } from "./sweep.js"
import { SIDECAR_BUGS } from "../catalog.js"

/** The three known bugs of issue 6, each named as the model variant that states it. */
export { SIDECAR_BUGS }
export type SidecarBug = (typeof SIDECAR_BUGS)[number]

export interface SidecarRunOptions {
  readonly writers: number
  readonly sweeps: number
  readonly tables: number
  readonly seed: number
  readonly steps: number
  readonly bugs?: readonly SidecarBug[]
  /** The store (default: a fresh in-memory one). */
  readonly store?: Layer.Layer<SidecarStore>
}

type WriterPhase = "Start" | "Armed" | "Committed" | "Published" | "Done" | "Crashed" | "Failed"
const LIVE: readonly WriterPhase[] = ["Armed", "Committed", "Published"]

interface Writer {
  phase: WriterPhase
  /** The last table it committed (1-based; 0: none yet). */
  last: number
  record: SidecarRecord | null
}

interface Sweep {
  phase: "Idle" | "Classified" | "Converged" | "Failed"
  op: number
  decision: "None" | Decision
  read: Reading | null
}

const mask = (tables: readonly number[]) => tables.reduce((m, t) => m | (1 << t), 0)

export function runSidecarCluster(options: SidecarRunOptions): string[] {
  const random = prng(options.seed)
  const bugs = new Set(options.bugs ?? [])
  const T = options.tables
  const state = emptyState(T)
  const store: SidecarStoreService = Effect.runSync(SidecarStore.pipe(Effect.provide(options.store ?? memoryStore(state))))
  const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
  const writers: Writer[] = Array.from({ length: options.writers }, () => ({ phase: "Start", last: 0, record: null }))
  const sweeps: Sweep[] = Array.from({ length: options.sweeps }, () => ({ phase: "Idle", op: 0, decision: "None", read: null }))
  /** The writers' process's write queue: the op holding each table's slot (0: free). */
  const queue: number[] = Array.from({ length: T }, () => 0)
  const header: TraceHeader = {
    kind: "header",
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    protocol: "sidecar",
    config: { writers: options.writers, sweeps: options.sweeps, tables: T },
    nodes: writers.map((_, k) => k + 1)
  }
  const lines = [JSON.stringify(header)]
  let seq = 0
  const zeros = () => Array.from({ length: T }, () => 0)
  const globals = (s: StoreState) => ({
    heads: s.tables.map((_, t) => head(s, t)),
    manifest: [...s.manifest.tables],
    lineage: { back: [...new Set(s.manifest.rolledBack)].sort((a, b) => a - b), forward: [] },
    queue: [...queue]
  })
  const writerView = (s: StoreState, w: number) => {
    const me = writers[w]!
    const expected = zeros()
    const target = zeros()
    me.record?.tables.forEach((t, i) => ((expected[t] = me.record!.expected[i]!), (target[t] = me.record!.target[i]!)))
    const rows = s.audit.filter((a) => a.op === w + 1)
    return {
      writer: { phase: me.phase, last: me.last },
      sidecar: { pending: s.sidecars.has(w + 1), tables: me.record ? mask(me.record.tables) : 0, expected, target },
      audit: { rows: rows.length, outcome: rows.at(-1)?.outcome ?? "None" }
    }
  }
  const emitWriter = (action: string, w: number, args: Record<string, unknown> = {}) => {
    const s = run(store.read)
    const event: TraceEvent = { kind: "event", seq: ++seq, node: w + 1, action, args, observed: { ...globals(s), ...writerView(s, w) } }
    lines.push(JSON.stringify(event))
  }
  /** A sweep is not a node: its events name it in `args` and observe every variable whole. */
  const emitSweep = (action: string, sw: number, args: Record<string, unknown> = {}) => {
    const s = run(store.read)
    const views = writers.map((_, w) => writerView(s, w))
    const observed = {
      ...globals(s),
      writer: views.map((v) => v.writer),
      sidecar: views.map((v) => v.sidecar),
      audit: views.map((v) => v.audit),
      sweep: sweeps.map((x) => ({ phase: x.phase, op: x.op, decision: x.decision })),
      sweepPins: sweeps.map((x) => (x.read ? [...x.read.pins] : zeros())),
      sweepHeads: sweeps.map((x) => (x.read ? [...x.read.heads] : zeros()))
    }
    const event: TraceEvent = { kind: "event", seq: ++seq, node: null, action, args: { sweep: sw + 1, ...args }, observed }
    lines.push(JSON.stringify(event))
  }
  const release = (op: number) => queue.forEach((holder, t) => holder === op && (queue[t] = 0))
  const slotsFree = (tables: readonly number[]) => tables.every((t) => queue[t] === 0)
  const dead = (op: number) => !LIVE.includes(writers[op - 1]!.phase)

  /** Every move some actor can make now. */
  const moves = (): Array<() => void> => {
    const out: Array<() => void> = []
    const s = run(store.read)
    const deadSidecars = [...s.sidecars.values()].filter((r) => dead(r.op))
    writers.forEach((me, w) => {
      const op = w + 1
      if (me.phase === "Start") {
        // Heal first, in this process and under the sidecar's queue slots: roll forward what can be.
        for (const r of deadSidecars) {
          if (r.op === op || !slotsFree(r.tables) || classify(s, r) === "Back") continue
          out.push(() => {
            if (!heal(store, r)) throw new Error(`heal of op ${r.op} did not resolve it`)
            emitWriter("Heal", w, { o: r.op })
          })
        }
        // The barrier: no writing while a dead writer's sidecar is left (RecoveryRequired; retried later).
        const subsets = Array.from({ length: 2 ** T - 1 }, (_, k) => Array.from({ length: T }, (_, t) => t).filter((t) => ((k + 1) & (1 << t)) !== 0)).filter(slotsFree)
        if (deadSidecars.every((r) => r.op === op) && subsets.length > 0) {
          out.push(() => {
            const tables = subsets[Math.floor(random() * subsets.length)]!
            const now = run(store.read)
            // A table whose head is past its published version has drifted: the write refuses.
            if (tables.some((t) => head(now, t) !== now.manifest.tables[t])) me.phase = "Failed"
            else {
              me.record = { op, tables, expected: tables.map((t) => now.manifest.tables[t]!), target: tables.map((t) => now.manifest.tables[t]! + 1) }
              run(store.writeSidecar(me.record))
              for (const t of tables) queue[t] = op
              me.phase = "Armed"
            }
            emitWriter("WriteSidecar", w, { tables: mask(tables) })
          })
        }
      }
      if (me.phase === "Armed") {
        out.push(() => {
          const r = me.record!
          const i = r.tables.findIndex((t) => t + 1 > me.last)
          const t = r.tables[i]!
          if (!run(store.commitIf(t, r.expected[i]!, op))) {
            me.phase = "Failed"
            release(op)
          } else {
            me.last = t + 1
            if (i === r.tables.length - 1) me.phase = "Committed"
          }
          emitWriter("CommitTable", w)
        })
      }
      if (me.phase === "Committed") {
        out.push(() => {
          const r = me.record!
          const published = run(store.casManifest(new Map(r.tables.map((t, i) => [t, r.expected[i]!])), new Map(r.tables.map((t, i) => [t, r.target[i]!]))))
          me.phase = published ? "Published" : "Failed"
          if (!published) release(op)
          emitWriter("PublishManifest", w)
        })
      }
      if (me.phase === "Published") {
        out.push(() => {
          run(store.deleteSidecar(op))
          me.phase = "Done"
          release(op)
          emitWriter("DeleteSidecar", w)
        })
      }
      if (LIVE.includes(me.phase)) out.push(() => ((me.phase = "Crashed"), release(op), emitWriter("CrashWriter", w)))
    })
    sweeps.forEach((sw, k) => {
      if (sw.phase === "Idle") {
        for (const r of s.sidecars.values()) {
          if (!bugs.has("rollback-without-lease") && !dead(r.op)) continue
          out.push(() => {
            const now = run(store.read)
            Object.assign(sw, { phase: "Classified", op: r.op, decision: classify(now, r), read: readingOf(now) })
            emitSweep("SweepClassify", k, { w: r.op })
          })
        }
      }
      if (sw.phase === "Classified") {
        out.push(() => {
          const r = writers[sw.op - 1]!.record!
          const outcome = apply(store, r, sw.decision as Decision, sw.read!, bugs.has("cas-mismatch-fails-open"))
          if (outcome === "deferred") Object.assign(sw, { phase: "Idle", op: 0, decision: "None", read: null })
          else sw.phase = outcome === "converged" ? "Converged" : "Failed"
          emitSweep("SweepApply", k)
        })
      }
      if (sw.phase === "Converged") {
        out.push(() => {
          const decision = sw.decision as Decision
          run(store.finishSidecar(sw.op, decision === "Forward" || decision === "DoneForward" ? "RolledForward" : "RolledBack", bugs.has("unconditional-converge-audit")))
          Object.assign(sw, { phase: "Idle", op: 0, decision: "None", read: null })
          emitSweep("SweepFinish", k)
        })
      }
    })
    return out
  }

  for (let step = 0; step < options.steps; step++) {
    const available = moves()
    if (available.length === 0) break
    available[Math.floor(random() * available.length)]!()
  }
  return lines
}
