/**
 * A seeded cluster of block-storage nodes running the reference recovery driver (driver.ts) over
 * their RecoveryStorage (in memory or on files), with a master that assigns epochs, and faults:
 * lost connections, refused pins, WAL garbage collection, snapshots, failovers and crashes. The
 * same seed gives the same run. Every step is written as an event of the recovery model, observing
 * the whole cluster, so that each run can be validated against the model.
 *
 * The scheduler is the environment: it knows which nodes are up and which messages would reach
 * them, and lets each primary's driver take the steps its own state allows. It imports nothing of
 * the checker but the trace format. `bugs` plants the deliberate defects of the mutation check,
 * each named after the model variant that states it.
 */
import { Effect } from "effect"
import { TRACE_FORMAT, TRACE_VERSION, type TraceEvent, type TraceHeader } from "../../model/trace/events.js"
import { prng } from "../../model/trace/prng.js"
import { RecoveryDriver, TOUCHES_REPLICA, type DriverBugs, type DriverStep } from "./driver.js"
import { replicaLink } from "./replica.js"
import { memoryDurable, recoveryStorage, type Durable, type RecoveryStorageService, type StorageBugs } from "./storage.js"
import { RECOVERY_BUGS, RECOVERY_FAULTS } from "../catalog.js"

export { RECOVERY_BUGS, RECOVERY_FAULTS }
export type RecoveryBug = (typeof RECOVERY_BUGS)[number]

/** How often a step is a fault (a lost connection, a refused pin, a failover, a crash) when one is possible. */
const FAULT_RATE = 0.15
export type RecoveryFault = (typeof RECOVERY_FAULTS)[number]

export interface RecoveryRunOptions {
  readonly replicas: number
  /** The model's bounds the run stays within: writes stop at this LSN, failovers at this epoch. */
  readonly maxLsn: number
  readonly maxEpoch: number
  readonly seed: number
  readonly steps: number
  readonly faults?: readonly RecoveryFault[]
  readonly bugs?: readonly RecoveryBug[]
  /** Opens node n's durable storage (again after a crash); default: in memory. */
  readonly open?: (node: number) => Durable
}

type Role = "Replica" | "Primary" | "Down"

interface SimNode {
  role: Role
  storage: RecoveryStorageService
  driver: RecoveryDriver | null
}

export interface RecoveryRun {
  readonly lines: string[]
  /** Each node's storage as the run left it. */
  readonly storages: readonly RecoveryStorageService[]
}

export function runRecoveryCluster(options: RecoveryRunOptions): RecoveryRun {
  const random = prng(options.seed)
  const faults = new Set(options.faults ?? RECOVERY_FAULTS)
  const bugs = new Set(options.bugs ?? [])
  const driverBugs: DriverBugs = {
    lsnOnlyHandshake: bugs.has("lsn-only-handshake"),
    snapshotPinLeak: bugs.has("snapshot-pin-leak"),
    bookkeepingTruncation: bugs.has("bookkeeping-truncation"),
    truncateToPlannedLsn: bugs.has("truncate-to-planned-lsn"),
    completeAfterEpochChange: bugs.has("complete-after-epoch-change"),
    frozenCatchUpTarget: bugs.has("frozen-catch-up-target"),
    invalidateDropsPlan: bugs.has("invalidate-drops-plan")
  }
  const storageBugs: StorageBugs = { pinWithoutRecheck: bugs.has("pin-without-recheck"), snapshotReplacedWhilePinned: bugs.has("snapshot-replaced-while-pinned") }
  const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runSync(e)
  const n = options.replicas + 1
  const ids = Array.from({ length: n }, (_, k) => k + 1)
  const memory = new Map<number, Durable>()
  const open =
    options.open ??
    ((node: number) => {
      if (!memory.has(node)) memory.set(node, memoryDurable())
      return memory.get(node)!
    })
  const nodes: SimNode[] = ids.map((id) => ({ role: id === 1 ? "Primary" : "Replica", storage: recoveryStorage(open(id), storageBugs), driver: null }))
  const node = (id: number) => nodes[id - 1]!
  const epochOf = (id: number) => run(node(id).storage.image).epoch
  const master = { epoch: 1, primary: 1 }

  /** What primary p's messages reach: replica r, if it is a replica and has not accepted a newer epoch. */
  const link = (r: number) => replicaLink(() => node(r).storage, () => node(r).role === "Replica")
  const newDriver = (id: number, epoch: number) => new RecoveryDriver(id, epoch, node(id).storage, ids, link, driverBugs)
  for (const id of ids) run(node(id).storage.setEpoch(1))
  node(1).driver = newDriver(1, 1)

  const header: TraceHeader = {
    kind: "header",
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    protocol: "recovery",
    config: { replicas: options.replicas, maxLsn: options.maxLsn, maxEpoch: options.maxEpoch },
    nodes: ids
  }
  const lines = [JSON.stringify(header)]
  let seq = 0

  const noSender = { view: "Disconnected", acked: 0, phase: "None", invalidated: false, kind: "CatchUp", epoch: 0, start: 0, progress: 0, target: 0, walPin: 0, snapshotPin: 0, fullBasePin: 0 }
  const pinValue = (pin: { lsn: number } | null) => (pin === null ? 0 : pin.lsn + 1)
  /** The whole cluster, in the model's readable form. */
  const observe = () => {
    const images = nodes.map((x) => run(x.storage.image))
    return {
      master: { ...master },
      role: nodes.map((x) => x.role),
      epoch: images.map((i) => i.epoch),
      log: images.map((i) => i.entries.map((e) => e.epoch)),
      tail: images.map((i) => i.tail),
      committed: nodes.map((x) => x.driver?.committed ?? 0),
      snapshot: images.map((i) => i.snapshot),
      sender: nodes.map((x, p) =>
        ids.map((r) => {
          const s = x.driver?.senders.get(r)
          if (s === undefined || r === p + 1) return noSender
          const session = s.session
          const pins = { walPin: pinValue(s.wal), snapshotPin: pinValue(s.snapshot), fullBasePin: pinValue(s.fullBase) }
          if (session === null) return { ...noSender, view: s.view, acked: s.acked, ...pins }
          const { kind, phase, epoch, invalidated, start, progress, target } = session
          return { view: s.view, acked: s.acked, phase, invalidated, kind, epoch, start, progress, target, ...pins }
        })
      )
    }
  }
  const emit = (action: string, args: Record<string, number>) => {
    const event: TraceEvent = { kind: "event", seq: ++seq, node: null, action, args, observed: observe() }
    lines.push(JSON.stringify(event))
  }

  /** Runs a driver step for replica r of primary p (the scheduler checked the replica is reachable where it must be). */
  const driverStep = (p: number, r: number, step: DriverStep) => {
    const d = node(p).driver!
    if (step !== "PinFails") return run(d.take(r, step))
    // A refused pin: the storage refuses the next one, and the step that asks for it fails.
    run(node(p).storage.refuseNextPin)
    run(d.take(r, d.senders.get(r)!.session!.phase === "RebuildAssigned" ? "PlanRebuild" : "PinWal"))
  }

  /** Every move the cluster can make now: the protocol's own, and faults (taken now and then, not at every chance). */
  const moves = (): { readonly out: Array<() => void>; readonly faulty: Array<() => void> } => {
    const out: Array<() => void> = []
    const faulty: Array<() => void> = []
    for (const p of ids) {
      const d = node(p).driver
      if (node(p).role !== "Primary" || d === null) continue
      const image = run(node(p).storage.image)
      if (image.entries.length < options.maxLsn) out.push(() => (run(d.write(`n${p}-e${d.epoch}-${image.entries.length + 1}`)), emit("Write", { p })))
      for (const r of ids) {
        if (r === p) continue
        for (const step of d.steps(r)) {
          if (step === "PinFails" && !faults.has("pin")) continue
          if (step === "Disconnect" && !faults.has("disconnect")) continue
          if (TOUCHES_REPLICA.has(step)) {
            const epoch = step === "Handshake" || step === "Replicate" ? d.epoch : d.sessionEpoch(r)
            if (node(r).role !== "Replica" || epochOf(r) > epoch) continue
          }
          ;(step === "PinFails" || step === "Disconnect" ? faulty : out).push(() => (driverStep(p, r, step), emit(step, { p, r })))
        }
      }
      if (faults.has("gc")) {
        const floor = run(d.retentionFloor())
        if (floor > image.tail) {
          out.push(() => {
            const upTo = image.tail + 1 + Math.floor(random() * (floor - image.tail))
            emit("CollectWal", { p, upTo: run(d.collectGarbage(upTo)) })
          })
        }
      }
      if (d.committed > image.snapshot) out.push(() => run(d.takeSnapshot()) && emit("TakeSnapshot", { p }))
    }
    for (const id of ids) {
      const x = node(id)
      // A failover is a fault while the assigned primary serves, and the master's duty once it does not.
      const serving = node(master.primary).role === "Primary" && node(master.primary).driver !== null
      if (faults.has("failover") && master.epoch < options.maxEpoch && x.role !== "Down") {
        ;(serving ? faulty : out).push(() => {
          master.epoch++
          master.primary = id
          emit("Failover", { n: id })
        })
      }
      if (x.role !== "Down" && epochOf(id) < master.epoch) {
        out.push(() => {
          run(x.storage.setEpoch(master.epoch))
          if (master.primary === id) {
            if (x.driver !== null) x.driver.newEpoch(master.epoch)
            else {
              x.role = "Primary"
              x.driver = newDriver(id, master.epoch)
            }
          } else if (x.driver !== null) {
            // Demoted: the registry, its pins and the snapshot's trust go with the role.
            run(x.driver.shutdown())
            run(x.storage.distrustSnapshot)
            x.driver = null
            x.role = "Replica"
          }
          emit("AcceptAssignment", { n: id })
        })
      }
      if (faults.has("crash") && x.role !== "Down") {
        faulty.push(() => {
          x.role = "Down"
          x.driver = null
          // The process's memory (pins, the snapshot's trust) is gone; its files are reopened.
          x.storage = recoveryStorage(open(id), storageBugs)
          emit("Crash", { n: id })
        })
      }
      if (x.role === "Down") out.push(() => ((x.role = "Replica"), emit("Restart", { n: id })))
    }
    return { out, faulty }
  }

  for (let step = 0; step < options.steps; step++) {
    const { out, faulty } = moves()
    // Nothing but a fault left: the cluster has settled, and the run ends.
    if (out.length === 0) break
    const pool = faulty.length > 0 && random() < FAULT_RATE ? faulty : out
    pool[Math.floor(random() * pool.length)]!()
  }
  return { lines, storages: nodes.map((x) => x.storage) }
}
