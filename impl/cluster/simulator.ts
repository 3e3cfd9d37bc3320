/**
 * A deterministic cluster simulator: N nodes running the reference components (elections with
 * terms, client key/value writes, replication, commit-point learning, failover, and the rollback
 * coordinator of impl/rollback), with faults (coordinator crashes between any two steps, failed
 * rollback-file writes, partitions). The same seed gives the same run. Every step is written as an
 * event of the rollback model (the trace format of model/trace/events.ts), observing the acting
 * node's state and the committed entries, so the run can be validated against the model.
 *
 * It imports no checker code, only the trace format it writes (model/trace/events.ts): its guards
 * are its own, which is what makes validating its traces against the model worth doing. `bugs`
 * plants the deliberate defects of the mutation check.
 */
import { Effect, Either } from "effect"
import { TRACE_FORMAT, TRACE_VERSION, type TraceEvent, type TraceHeader } from "../../model/trace/events.js"
import { prng } from "../../model/trace/prng.js"
import { advance, next, type CoordinatorState } from "../rollback/coordinator.js"
import { RollbackPlan } from "../rollback/plan.js"
import { memoryNode, memoryTransport, RollbackTransport, type MemoryNode } from "../rollback/transport.js"
import type { LogEntry } from "../rollback/types.js"

export type Fault = "crash" | "persist" | "partition"

/** Deliberate defects, for the mutation check. */
export type Bug =
  | "recover-before-persist"
  | "ignore-persist-failure"
  | "off-by-one-common-point"
  | "rejoin-under-old-term"
  | "skip-watermark-guard"
  | "restore-wrong-pre-image"

export interface ClusterOptions {
  readonly nodes: number
  readonly steps: number
  readonly seed: number
  readonly faults: readonly Fault[]
  readonly maxTerm: number
  readonly maxLogLen: number
  readonly bugs?: readonly Bug[]
}

interface Node {
  term: number
  leader: boolean
  commitPoint: { term: number; index: number }
  /** Log, rollback files, events, rejoin target: the coordinator's store. */
  readonly store: MemoryNode
  /** The key/value state the node serves, kept apart from the log as a real store would. */
  values: Map<string, string | null>
  coordinator: CoordinatorState | null
}

export interface ClusterRun {
  /** The trace: a header line, then one event per step. */
  readonly lines: readonly string[]
  /** The planted bugs whose code path changed what a step did. */
  readonly exercised: ReadonlySet<Bug>
  /** Implementation invariants broken during the run (e.g. served values that disagree with the log). */
  readonly broken: readonly string[]
}

const PHASE: Record<CoordinatorState["phase"], string> = {
  planned: "Planned",
  "tail-read": "Planned",
  persisted: "Persisted",
  recovered: "Recovered",
  emitted: "Emitted",
  rejoined: "Idle"
}

export function simulateCluster(options: ClusterOptions): ClusterRun {
  const random = prng(options.seed)
  const bugs = new Set(options.bugs ?? [])
  const n = options.nodes
  const ids = Array.from({ length: n }, (_, k) => k)
  const nodes: Node[] = ids.map(() => ({
    term: 0,
    leader: false,
    commitPoint: { term: 0, index: 0 },
    store: memoryNode([]),
    values: new Map(),
    coordinator: null
  }))
  const committed = new Set<string>()
  let partition: Set<number> | null = null
  const broken: string[] = []
  const exercised = new Set<Bug>()
  const header: TraceHeader = {
    kind: "header",
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    protocol: "rollback",
    config: { servers: n, maxTerm: options.maxTerm, maxLogLen: options.maxLogLen, maxClientWriteSize: 1 },
    nodes: ids.map((k) => k + 1)
  }
  const lines = [JSON.stringify(header)]
  const pick = <A>(xs: readonly A[]): A => xs[Math.floor(random() * xs.length)]!

  const log = (i: number) => nodes[i]!.store.log
  const len = (i: number) => log(i).length
  const termAt = (i: number, index: number) => (index === 0 ? 0 : log(i)[index - 1]!.term)
  const lastTerm = (i: number) => termAt(i, len(i))
  const reachable = (i: number, j: number) => partition === null || partition.has(i) === partition.has(j)
  const busy = (i: number) => nodes[i]!.coordinator !== null
  const below = (p: { term: number; index: number }, q: { term: number; index: number }) => p.term < q.term || (p.term === q.term && p.index < q.index)
  const upToDate = (i: number, j: number) => lastTerm(i) > lastTerm(j) || (lastTerm(i) === lastTerm(j) && len(i) >= len(j))
  const canSync = (i: number, j: number) => len(i) < len(j) && lastTerm(i) === termAt(j, len(i))
  const sameLog = (i: number, j: number) => len(i) === len(j) && log(i).every((e, k) => e.term === log(j)[k]!.term)
  const diverged = (i: number, j: number) => len(i) > 0 && lastTerm(i) < lastTerm(j) && (len(i) > len(j) || lastTerm(i) !== termAt(j, len(i)))
  const majority = (count: number) => 2 * count > n
  const applyWrite = (i: number, e: LogEntry) => nodes[i]!.values.set(e.key, e.value)
  const valuesFromLog = (i: number) => {
    const m = new Map<string, string | null>()
    for (const e of log(i)) m.set(e.key, e.value)
    return m
  }
  const planCurrent = (i: number) => {
    const c = nodes[i]!.coordinator!
    const src = c.plan.source - 1
    return nodes[src]!.leader && nodes[src]!.term === c.plan.rejoinTerm && nodes[i]!.term <= c.plan.rejoinTerm
  }
  /** Runs one coordinator command through the node's transport. */
  const run = (i: number): unknown => {
    const node = nodes[i]!
    const c = node.coordinator!
    const command = next(c)
    const transport = Effect.runSync(RollbackTransport.pipe(Effect.provide(memoryTransport(node.store))))
    const effect: Effect.Effect<unknown, unknown> =
      command.kind === "read-tail"
        ? transport.readDivergentTail(command.fromExclusive, command.toInclusive)
        : command.kind === "persist"
          ? transport.persistRollbackFile(command.tail)
          : command.kind === "recover"
            ? transport.recoverToLsn(command.target)
            : command.kind === "emit"
              ? transport.emitRollbackEvent(command.event)
              : command.kind === "rejoin"
                ? transport.rejoinAsReplica(command.primary, command.term)
                : Effect.void
    return Effect.runSync(effect)
  }

  const observe = (i: number) => {
    const node = nodes[i]!
    const c = node.coordinator
    return {
      committedEntries: [...committed].map((k) => JSON.parse(k) as { term: number; index: number }),
      currentTerm: node.term,
      state: node.leader ? "Leader" : "Follower",
      commitPoint: node.commitPoint,
      log: log(i).map((e) => ({ term: e.term })),
      rollback: c
        ? { phase: PHASE[c.phase], source: c.plan.source, commonPoint: c.plan.commonPoint, watermark: c.plan.watermark, rejoinTerm: c.plan.rejoinTerm }
        : { phase: "Idle", source: i + 1, commonPoint: 0, watermark: 0, rejoinTerm: 0 },
      // A set: the same entry may be saved by more than one rollback.
      rollbackFiles: [...new Set([...node.store.rollbackFiles.values()].flat().map((e) => JSON.stringify({ term: e.term, index: e.lsn })))].map((k) => JSON.parse(k))
    }
  }
  let seq = 0
  const emit = (action: string, i: number, args: Record<string, unknown> = {}) => {
    const event: TraceEvent = { kind: "event", seq: ++seq, node: i + 1, action, args, observed: observe(i) }
    lines.push(JSON.stringify(event))
    for (const k of ids) {
      const expected = valuesFromLog(k)
      const served = nodes[k]!.values
      const keys = new Set([...expected.keys(), ...served.keys()])
      if ([...keys].some((key) => (expected.get(key) ?? null) !== (served.get(key) ?? null))) {
        broken.push(`ServedValuesMatchLog: node ${k + 1} after event ${seq}`)
      }
    }
  }

  /** Every step the cluster could take now, as thunks that take it and log it, by kind. */
  const candidates = () => {
    const all: Array<() => void> = []
    const elections: Array<() => void> = []
    const rollbacks: Array<() => void> = []
    let out = all
    for (const i of ids) {
      const me = nodes[i]!
      if (me.leader && len(i) < options.maxLogLen) {
        out.push(() => {
          const e: LogEntry = { lsn: len(i) + 1, term: me.term, key: pick(["a", "b", "c"]), value: pick(["x", "y", null]) }
          me.store.log = [...log(i), e]
          applyWrite(i, e)
          emit("ClientWrite", i, { numEntries: 1 })
        })
      }
      if (me.leader) out.push(() => ((me.leader = false), emit("Stepdown", i)))
      for (const j of ids) {
        if (i === j || !reachable(i, j)) continue
        const other = nodes[j]!
        if (!me.leader && !busy(i) && canSync(i, j)) {
          out.push(() => {
            const last = len(i) + 1 + Math.floor(random() * (len(j) - len(i)))
            for (const e of log(j).slice(len(i), last)) {
              me.store.log = [...log(i), e]
              applyWrite(i, e)
            }
            emit("AppendOplog", i, { j: j + 1, lastAppended: last })
          })
        }
        if (other.term > me.term) out.push(() => ((me.term = other.term), (me.leader = false), emit("UpdateTermThroughHeartbeat", i, { j: j + 1 })))
        if (lastTerm(i) === other.commitPoint.term && below(me.commitPoint, other.commitPoint)) {
          out.push(() => ((me.commitPoint = { ...other.commitPoint }), emit("LearnCommitPointWithTermCheck", i, { j: j + 1 })))
        }
        if ((canSync(i, j) || sameLog(i, j)) && below(me.commitPoint, other.commitPoint)) {
          const learned = other.commitPoint.term <= lastTerm(i) ? { ...other.commitPoint } : { term: lastTerm(i), index: len(i) }
          if (below(me.commitPoint, learned)) out.push(() => ((me.commitPoint = learned), emit("LearnCommitPointFromSyncSourceNeverBeyondLastApplied", i, { j: j + 1 })))
        }
        if (!busy(i) && !me.leader && other.leader && other.term >= me.term && diverged(i, j)) {
          const planned = RollbackPlan.compute({ node: i + 1, localLog: log(i), sourceLog: log(j), source: j + 1, sourceTerm: other.term, watermark: me.commitPoint.index })
          const plan = Either.isRight(planned)
            ? planned.right
            : bugs.has("skip-watermark-guard") && planned.left._tag === "BelowWatermark" && exercised.add("skip-watermark-guard")
              ? { node: i + 1, source: j + 1, rejoinTerm: other.term, commonPoint: planned.left.commonPoint, watermark: me.commitPoint.index, tailFrom: planned.left.commonPoint + 1, tailTo: len(i) }
              : null
          if (plan) {
            out = rollbacks
            const off = bugs.has("off-by-one-common-point") && plan.commonPoint > 0
            const common = off ? plan.commonPoint - 1 : plan.commonPoint
            out.push(() => {
              if (off) exercised.add("off-by-one-common-point")
              me.coordinator = { phase: "planned", plan: { ...plan, commonPoint: common, tailFrom: common + 1 } }
              emit("RollbackPlan", i, { j: j + 1 })
            })
            out = all
          }
        }
      }
      // Elections: a random majority of the nodes that would vote for i.
      out = elections
      if (!busy(i) && me.term + 1 <= options.maxTerm) {
        const eligible = ids.filter((v) => reachable(i, v) && upToDate(i, v) && nodes[v]!.term <= me.term)
        if (majority(eligible.length)) {
          out.push(() => {
            const voters = eligible.filter(() => random() < 0.7)
            const chosen = majority(voters.length) ? voters : eligible
            const term = me.term + 1
            for (const v of chosen) nodes[v]!.leader = v === i
            for (const v of new Set([...chosen, i])) nodes[v]!.term = term
            emit("BecomePrimaryByMagic", i, { ayeVoters: chosen.map((v) => v + 1).sort() })
          })
        }
      }
      // The commit point: an entry of the leader's term held by a majority with no higher term.
      out = all
      if (me.leader) {
        for (let index = me.commitPoint.index + 1; index <= len(i); index++) {
          if (termAt(i, index) !== me.term) continue
          const acks = ids.filter((v) => reachable(i, v) && len(v) >= index && termAt(v, index) === termAt(i, index) && nodes[v]!.term <= me.term)
          if (!majority(acks.length)) continue
          out.push(() => {
            for (let k = me.commitPoint.index + 1; k <= index; k++) committed.add(JSON.stringify({ term: termAt(i, k), index: k }))
            me.commitPoint = { term: termAt(i, index), index }
            emit("AdvanceCommitPoint", i, { acknowledgers: acks.map((v) => v + 1), committedIndex: index })
          })
        }
      }
      // The rollback coordinator's next step, and its faults.
      out = rollbacks
      const c = me.coordinator
      if (c) {
        if (options.faults.includes("crash")) out.push(() => ((me.coordinator = null), emit("Crash", i)))
        if (c.phase === "planned") {
          out.push(() => {
            me.coordinator = advance(c, run(i))
            me.coordinator = advance(me.coordinator, run(i))
            emit("RollbackPersist", i)
          })
          if (options.faults.includes("persist")) {
            out.push(() => {
              if (bugs.has("ignore-persist-failure")) {
                exercised.add("ignore-persist-failure")
                me.coordinator = advance(advance(c, []), "(not written)")
                emit("RollbackPersist", i)
              } else {
                me.coordinator = null
                emit("RollbackPersistFails", i)
              }
            })
          }
        }
        const recoverable = c.phase === "persisted" || (bugs.has("recover-before-persist") && c.phase === "planned")
        if (recoverable && planCurrent(i)) {
          out.push(() => {
            if (c.phase === "planned") exercised.add("recover-before-persist")
            const from = c.phase === "planned" ? advance(advance(c, []), "(not written)") : c
            me.coordinator = from
            me.store.leader = { primary: c.plan.source, term: c.plan.rejoinTerm }
            me.coordinator = advance(from, run(i))
            const wrong = bugs.has("restore-wrong-pre-image") && c.plan.commonPoint > 0
            if (wrong) exercised.add("restore-wrong-pre-image")
            const restoreTo = wrong ? c.plan.commonPoint - 1 : c.plan.commonPoint
            me.values = new Map()
            for (const e of log(i).slice(0, restoreTo)) me.values.set(e.key, e.value)
            emit("RollbackRecover", i)
          })
        }
        if (c.phase === "recovered") out.push(() => ((me.coordinator = advance(c, run(i))), emit("RollbackEmitEvent", i)))
        if (c.phase === "emitted") {
          const src = nodes[c.plan.source - 1]!
          if (src.leader && src.term === c.plan.rejoinTerm) {
            out.push(() => {
              run(i)
              if (!bugs.has("rejoin-under-old-term")) me.term = Math.max(me.term, c.plan.rejoinTerm)
              else if (me.term < c.plan.rejoinTerm) exercised.add("rejoin-under-old-term")
              me.leader = false
              me.coordinator = null
              emit("RollbackRejoin", i)
            })
          }
        }
      }
      out = all
    }
    return { all, elections, rollbacks }
  }

  for (let step = 0; step < options.steps; step++) {
    if (options.faults.includes("partition") && random() < 0.05) {
      partition = partition === null ? new Set(ids.filter(() => random() < 0.5)) : null
    }
    const { all, elections, rollbacks } = candidates()
    if (all.length + elections.length + rollbacks.length === 0) break
    // Rollback steps most of the time when there are some, elections seldom (they use up terms).
    const r = random()
    const pool = rollbacks.length > 0 && r < 0.6 ? rollbacks : elections.length > 0 && (r > 0.85 || all.length === 0) ? elections : all.length > 0 ? all : [...rollbacks, ...elections]
    pick(pool)()
  }
  return { lines, broken, exercised }
}
