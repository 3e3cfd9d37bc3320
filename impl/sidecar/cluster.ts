/**
 * Writers and recovery sweeps of ADR 0002 over a SidecarStore, interleaved by a seeded
 * scheduler, with writer crashes after any phase. Every step is written as an event of the
 * sidecar model, so each run can be validated against it. `bugs` plants the three known bugs.
 */
import { Effect, Layer } from "effect"
import { TRACE_FORMAT, TRACE_VERSION, type TraceEvent, type TraceHeader } from "../../model/trace/events.js"
import { prng } from "../../model/trace/prng.js"
import { emptyState, memoryStore, SidecarStore, type SidecarRecord, type SidecarStoreService, type StoreState } from "./store.js"
import { apply, classify } from "./sweep.js"

/** The three known bugs of issue 6, each named as the model variant that states it. */
export const SIDECAR_BUGS = ["cas-mismatch-fails-open", "unconditional-converge-audit", "rollback-without-lease"] as const
export type SidecarBug = (typeof SIDECAR_BUGS)[number]

export interface SidecarRunOptions {
  readonly writers: number
  readonly sweeps: number
  readonly seed: number
  readonly steps: number
  readonly bugs?: readonly SidecarBug[]
  /** The store (default: a fresh in-memory one). */
  readonly store?: Layer.Layer<SidecarStore>
}

type WriterPhase = "Start" | "SidecarWritten" | "CommittedFirst" | "CommittedBoth" | "Published" | "Done" | "Crashed" | "Aborted"
const LIVE: readonly WriterPhase[] = ["SidecarWritten", "CommittedFirst", "CommittedBoth", "Published"]

interface Writer {
  phase: WriterPhase
  seen: number
  record: SidecarRecord | null
}

interface Sweep {
  phase: "Idle" | "Classified" | "Converged" | "Failed"
  op: number
  decision: "None" | "Forward" | "Back" | "Abort"
  seen: number
}

export function runSidecarCluster(options: SidecarRunOptions): string[] {
  const random = prng(options.seed)
  const bugs = new Set(options.bugs ?? [])
  const state = emptyState(options.writers)
  const store: SidecarStoreService = Effect.runSync(SidecarStore.pipe(Effect.provide(options.store ?? memoryStore(state))))
  const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
  const writers: Writer[] = Array.from({ length: options.writers }, () => ({ phase: "Start", seen: 0, record: null }))
  const sweeps: Sweep[] = Array.from({ length: options.sweeps }, () => ({ phase: "Idle", op: 0, decision: "None", seen: 0 }))
  const header: TraceHeader = {
    kind: "header",
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    protocol: "sidecar",
    config: { writers: options.writers, sweeps: options.sweeps },
    nodes: writers.map((_, k) => k + 1)
  }
  const lines = [JSON.stringify(header)]
  let seq = 0
  const globals = (s: StoreState) => ({ heads: [...s.heads], manifest: { version: s.manifest.version, tables: [...s.manifest.tables] } })
  const writerView = (s: StoreState, w: number) => {
    const me = writers[w]!
    return {
      writer: { phase: me.phase, seen: me.seen },
      sidecar: { pending: s.sidecars.has(w + 1), expected: me.record ? [...me.record.expected] : [0, 0], target: me.record ? [...me.record.target] : [0, 0] },
      audit: s.audit.filter((a) => a.op === w + 1).length
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
      sweep: sweeps.map((x) => ({ ...x }))
    }
    const event: TraceEvent = { kind: "event", seq: ++seq, node: null, action, args: { sweep: sw + 1, ...args }, observed }
    lines.push(JSON.stringify(event))
  }

  /** Every move some actor can make now. */
  const moves = (): Array<() => void> => {
    const out: Array<() => void> = []
    const s = run(store.read)
    writers.forEach((me, w) => {
      const op = w + 1
      if (me.phase === "Start") {
        // Heal first: wait while a dead writer's sidecar is pending.
        const blocked = [...s.sidecars.keys()].some((o) => !LIVE.includes(writers[o - 1]!.phase))
        if (!blocked) {
          out.push(() => {
            const now = run(store.read)
            me.record = { op, expected: [...now.manifest.tables], target: now.manifest.tables.map((v) => v + 1) }
            me.seen = now.manifest.version
            run(store.writeSidecar(me.record))
            me.phase = "SidecarWritten"
            emitWriter("WriteSidecar", w)
          })
        }
      }
      if (me.phase === "SidecarWritten" || me.phase === "CommittedFirst") {
        out.push(() => {
          const t = me.phase === "SidecarWritten" ? 0 : 1
          const ok = run(store.commitIf(t, me.record!.expected[t]!, me.record!.target[t]!, op))
          me.phase = !ok ? "Aborted" : t === 0 ? "CommittedFirst" : "CommittedBoth"
          emitWriter("CommitTable", w, { table: t + 1 })
        })
      }
      if (me.phase === "CommittedBoth") {
        out.push(() => {
          me.phase = run(store.casManifest(me.seen, me.record!.target)) ? "Published" : "Aborted"
          emitWriter("PublishManifest", w)
        })
      }
      if (me.phase === "Published") {
        out.push(() => {
          run(store.deleteSidecar(op))
          me.phase = "Done"
          emitWriter("DeleteSidecar", w)
        })
      }
      if (LIVE.includes(me.phase)) out.push(() => ((me.phase = "Crashed"), emitWriter("CrashWriter", w)))
    })
    sweeps.forEach((sw, k) => {
      if (sw.phase === "Idle") {
        for (const r of s.sidecars.values()) {
          if (!bugs.has("rollback-without-lease") && LIVE.includes(writers[r.op - 1]!.phase)) continue
          out.push(() => {
            const now = run(store.read)
            sw.decision = classify(now, r)
            sw.phase = "Classified"
            sw.op = r.op
            sw.seen = now.manifest.version
            emitSweep("SweepClassify", k, { w: r.op })
          })
        }
      }
      if (sw.phase === "Classified") {
        out.push(() => {
          const r = run(store.read).sidecars.get(sw.op) ?? writers[sw.op - 1]!.record!
          const outcome = apply(store, r, sw.decision as "Forward" | "Back" | "Abort", sw.seen, bugs.has("cas-mismatch-fails-open"))
          sw.phase = outcome === "converged" ? "Converged" : outcome === "failed" ? "Failed" : "Idle"
          emitSweep("SweepApply", k)
        })
      }
      if (sw.phase === "Converged") {
        out.push(() => {
          run(store.finishSidecar(sw.op, sw.decision, bugs.has("unconditional-converge-audit")))
          Object.assign(sw, { phase: "Idle", op: 0, decision: "None", seen: 0 })
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
