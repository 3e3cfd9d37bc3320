/**
 * A deterministic cluster simulator: N nodes running the reference components (elections with
 * terms, heartbeats that teach each node who leads, client key/value writes, replication,
 * commit-point learning, failover, and the rollback coordinator of impl/rollback), with faults
 * (crashes and restarts of a node mid-rollback, failed rollback-file writes, partitions). The same
 * seed gives the same run. Every step is written as an event of the rollback model (the trace
 * format of model/trace/events.ts), observing the acting node's state and the history (committed
 * entries, the entries each node removed and announced), so the run can be validated.
 *
 * Each node's coordinator runs through the node's own transport (impl/rollback/transport.ts): it
 * sees the node's log, key versions, learned commit point and leader view, nothing of the other
 * nodes except the log it fetches from the leader it believes in. The simulator keeps each view
 * current from the heartbeats it delivers, and honours the term lock: a node that holds it takes
 * no new term and casts no vote.
 *
 * It imports no checker code, only the trace format it writes (model/trace/events.ts): its guards
 * are its own, which is what makes validating its traces against the model worth doing. `bugs`
 * plants the deliberate defects of the mutation check.
 */
import { Effect, Either } from "effect"
import { TRACE_FORMAT, TRACE_VERSION, type TraceEvent, type TraceHeader } from "../../model/trace/events.js"
import { prng } from "../../model/trace/prng.js"
import { advance, next, RollbackCoordinator, runCommand, type CoordinatorState } from "../rollback/coordinator.js"
import { RollbackPlan } from "../rollback/plan.js"
import { memoryNode, memoryTransport, replayed, RollbackTransport, type MemoryNode } from "../rollback/transport.js"
import type { LogEntry } from "../rollback/types.js"
import type { ROLLBACK_FAULTS } from "../catalog.js"

export type Fault = (typeof ROLLBACK_FAULTS)[number]

/** Deliberate defects, for the mutation check. */
export const ROLLBACK_BUGS = [
  "recover-before-persist",
  "ignore-persist-failure",
  "off-by-one-common-point",
  "skip-watermark-guard",
  "restore-wrong-pre-image",
  "no-term-lock",
  "volatile-event-marker",
  /** With raft elections: a node that voted in a term votes again in it, for another candidate. */
  "vote-twice-in-a-term"
] as const
export type Bug = (typeof ROLLBACK_BUGS)[number]

export interface ClusterOptions {
  readonly nodes: number
  readonly steps: number
  readonly seed: number
  readonly faults: readonly Fault[]
  readonly maxTerm: number
  readonly maxLogLen: number
  readonly bugs?: readonly Bug[]
  /**
   * What each event observes: every variable of the acting node and the cluster ("all", the
   * default), or only the node's scalars: its term, role, commit point, leader view and
   * coordinator ("scalars"), which is what a real implementation logs cheaply on every step; the
   * validator then carries the logs and sets itself. A long run needs it: "all" writes every log
   * whole on every line.
   */
  readonly observe?: "all" | "scalars"
  /**
   * How elections run and are logged: at once, as the model's BecomePrimaryByMagic ("magic", the
   * default), or as a Raft node runs them ("raft"): StartElection (the candidate's new term and its
   * own vote), GrantVote one voter at a time, BecomeLeader on a majority, and elections lost to a
   * higher term or to another leader. A "raft" run is a run of the rollback model's variant
   * raft-elections.
   */
  readonly elections?: "magic" | "raft"
}

interface Node {
  term: number
  leader: boolean
  commitPoint: { term: number; index: number }
  /** What the coordinator sees: log, key versions, view, commit point index, files, marker, events. */
  readonly store: MemoryNode
  coordinator: CoordinatorState | null
  /** The node (1-based) this node voted for in its term; 0 for none. */
  votedFor: number
  /** As a candidate in its term, the nodes (0-based) that voted for it; null when not campaigning. */
  votes: Set<number> | null
  /** History for the trace: the entries removed from this node's log. */
  readonly removed: Set<string>
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
  "keys-restored": "KeysRestored",
  recovered: "Recovered",
  emitted: "Emitted",
  rejoined: "Idle"
}

const key = (term: number, index: number) => JSON.stringify({ term, index })
const entries = (keys: Iterable<string>) => [...new Set(keys)].sort().map((k) => JSON.parse(k) as { term: number; index: number })

export function simulateCluster(options: ClusterOptions): ClusterRun {
  const random = prng(options.seed)
  const bugs = new Set(options.bugs ?? [])
  const n = options.nodes
  const ids = Array.from({ length: n }, (_, k) => k)
  const nodes: Node[] = ids.map(() => ({ term: 0, leader: false, commitPoint: { term: 0, index: 0 }, store: memoryNode([]), coordinator: null, votedFor: 0, votes: null, removed: new Set() }))
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
  const serving = (i: number) => !busy(i) && nodes[i]!.store.pending === null
  const locked = (i: number) => nodes[i]!.store.termLocked && !bugs.has("no-term-lock")
  const below = (p: { term: number; index: number }, q: { term: number; index: number }) => p.term < q.term || (p.term === q.term && p.index < q.index)
  const upToDate = (i: number, j: number) => lastTerm(i) > lastTerm(j) || (lastTerm(i) === lastTerm(j) && len(i) >= len(j))
  const canSync = (i: number, j: number) => len(i) < len(j) && lastTerm(i) === termAt(j, len(i))
  const sameLog = (i: number, j: number) => len(i) === len(j) && log(i).every((e, k) => e.term === log(j)[k]!.term)
  const diverged = (i: number, j: number) => len(i) > 0 && lastTerm(i) < lastTerm(j) && (len(i) > len(j) || lastTerm(i) !== termAt(j, len(i)))
  const majority = (count: number) => 2 * count > n
  const viewOf = (i: number) => nodes[i]!.store.view?.primary ?? 0

  const append = (i: number, added: readonly LogEntry[]) => {
    const store = nodes[i]!.store
    store.log = [...store.log, ...added]
    store.versions = replayed(store.versions, store.log)
  }
  const learn = (i: number, point: { term: number; index: number }) => {
    nodes[i]!.commitPoint = point
    nodes[i]!.store.commitPoint = point.index
  }
  /** Runs one coordinator command of node i through its own transport. */
  const run = <A>(i: number, effect: Effect.Effect<A, unknown, RollbackTransport>): Either.Either<A, unknown> =>
    Effect.runSync(Effect.either(effect.pipe(Effect.provide(memoryTransport(nodes[i]!.store)))))

  const observe = (i: number) => {
    const node = nodes[i]!
    const c = node.coordinator
    const scalars = {
      currentTerm: node.term,
      state: node.leader ? "Leader" : "Follower",
      commitPoint: node.commitPoint,
      leaderView: viewOf(i),
      rollback: c
        ? { phase: PHASE[c.phase], source: c.plan.source, commonPoint: c.plan.commonPoint, watermark: c.plan.watermark, rejoinTerm: c.plan.rejoinTerm }
        : { phase: "Idle", source: i + 1, commonPoint: 0, watermark: 0, rejoinTerm: 0 }
    }
    if (options.observe === "scalars") return scalars
    return {
      committedEntries: entries(committed),
      currentTerm: scalars.currentTerm,
      state: scalars.state,
      commitPoint: scalars.commitPoint,
      log: log(i).map((e) => ({ term: e.term })),
      leaderView: scalars.leaderView,
      keyVersions: node.store.versions.map((e) => ({ term: e.term })),
      rollback: scalars.rollback,
      // Sets: the same entry may be saved, owed or named by more than one rollback.
      rollbackFiles: entries([...node.store.rollbackFiles.values()].flat().map((e) => key(e.term, e.lsn))),
      pendingEvent: entries((node.store.pending?.removed ?? []).map((e) => key(e.term, e.lsn))),
      events: entries(node.store.events.flatMap((e) => e.removed.map((x) => key(x.term, x.lsn)))),
      removed: entries(node.removed)
    }
  }
  const sameEntry = (a: LogEntry, b: LogEntry) => a === b || (a.lsn === b.lsn && a.term === b.term && a.key === b.key && a.value === b.value)
  let seq = 0
  const emit = (action: string, i: number, args: Record<string, unknown> = {}) => {
    const event: TraceEvent = { kind: "event", seq: ++seq, node: i + 1, action, args, observed: observe(i) }
    lines.push(JSON.stringify(event))
    // The store serves a prefix of the log, all of it when no rollback is under way.
    for (const k of ids) {
      const { versions, log: entriesOfLog } = nodes[k]!.store
      // The same entries, field by field (JSON texts of each pair made long runs quadratic in practice).
      const prefix = versions.length <= entriesOfLog.length && versions.every((v, x) => sameEntry(v, entriesOfLog[x]!))
      if (!prefix || (!busy(k) && versions.length !== entriesOfLog.length)) broken.push(`ServedValuesMatchLog: node ${k + 1} after event ${seq}`)
    }
  }

  /** Every step the cluster could take now, as thunks that take it and log it, by kind. */
  const candidates = () => {
    const all: Array<() => void> = []
    const elections: Array<() => void> = []
    const rollbacks: Array<() => void> = []
    // Crashes and failed writes of the coordinator: taken now and then, not at every chance, so
    // that most rollbacks also get to finish.
    const faults: Array<() => void> = []
    for (const i of ids) {
      const me = nodes[i]!
      if (me.leader && len(i) < options.maxLogLen) {
        all.push(() => {
          append(i, [{ lsn: len(i) + 1, term: me.term, key: pick(["a", "b", "c"]), value: pick(["x", "y", null]) }])
          emit("ClientWrite", i, { numEntries: 1 })
        })
      }
      if (me.leader) all.push(() => ((me.leader = false), (me.store.view = null), emit("Stepdown", i)))
      for (const j of ids) {
        if (i === j || !reachable(i, j)) continue
        const other = nodes[j]!
        if (!me.leader && serving(i) && canSync(i, j)) {
          all.push(() => {
            const last = len(i) + 1 + Math.floor(random() * (len(j) - len(i)))
            append(i, log(j).slice(len(i), last))
            emit("AppendOplog", i, { j: j + 1, lastAppended: last })
          })
        }
        const lockIgnored = me.store.termLocked && bugs.has("no-term-lock")
        if (other.term > me.term && (!me.store.termLocked || lockIgnored)) {
          all.push(() => {
            if (lockIgnored) exercised.add("no-term-lock")
            me.term = other.term
            me.leader = false
            me.store.view = null
            me.votedFor = 0
            me.votes = null
            emit("UpdateTermThroughHeartbeat", i, { j: j + 1 })
          })
        }
        if (other.leader && (other.term > me.term || (other.term === me.term && viewOf(i) !== j + 1)) && (!me.store.termLocked || lockIgnored)) {
          all.push(() => {
            if (lockIgnored) exercised.add("no-term-lock")
            if (other.term > me.term) me.votedFor = 0
            me.votes = null
            me.term = other.term
            me.leader = false
            me.store.view = { primary: j + 1, term: other.term }
            emit("LearnLeaderThroughHeartbeat", i, { j: j + 1 })
          })
        }
        if (lastTerm(i) === other.commitPoint.term && below(me.commitPoint, other.commitPoint)) {
          all.push(() => (learn(i, { ...other.commitPoint }), emit("LearnCommitPointWithTermCheck", i, { j: j + 1 })))
        }
        if ((canSync(i, j) || sameLog(i, j)) && below(me.commitPoint, other.commitPoint)) {
          const learned = other.commitPoint.term <= lastTerm(i) ? { ...other.commitPoint } : { term: lastTerm(i), index: len(i) }
          if (below(me.commitPoint, learned)) all.push(() => (learn(i, learned), emit("LearnCommitPointFromSyncSourceNeverBeyondLastApplied", i, { j: j + 1 })))
        }
        // A plan against the leader this node believes in, from the log it fetches from it.
        if (serving(i) && !me.leader && viewOf(i) === j + 1 && diverged(i, j)) {
          const planned = RollbackPlan.compute({ node: i + 1, localLog: log(i), sourceLog: log(j), source: j + 1, sourceTerm: me.term, watermark: me.commitPoint.index })
          const plan = Either.isRight(planned)
            ? planned.right
            : bugs.has("skip-watermark-guard") && planned.left._tag === "BelowWatermark" && exercised.add("skip-watermark-guard")
              ? { node: i + 1, source: j + 1, rejoinTerm: me.term, commonPoint: planned.left.commonPoint, watermark: me.commitPoint.index, tailFrom: planned.left.commonPoint + 1, tailTo: len(i) }
              : null
          if (plan) {
            const off = bugs.has("off-by-one-common-point") && plan.commonPoint > 0
            const common = off ? plan.commonPoint - 1 : plan.commonPoint
            rollbacks.push(() => {
              if (off) exercised.add("off-by-one-common-point")
              me.coordinator = { phase: "planned", plan: { ...plan, commonPoint: common, tailFrom: common + 1 } }
              emit("RollbackPlan", i, { j: j + 1 })
            })
          }
        }
      }
      // Raft elections: a new term and a vote for itself; votes one voter at a time; leadership on a majority.
      if (options.elections === "raft") {
        if (serving(i) && !me.leader && me.term + 1 <= options.maxTerm) {
          elections.push(() => {
            me.term += 1
            me.leader = false
            me.store.view = null
            me.votedFor = i + 1
            me.votes = new Set([i])
            emit("StartElection", i)
          })
        }
        const votes = me.votes
        if (votes !== null) {
          for (const v of ids) {
            const voter = nodes[v]!
            if (v === i || votes.has(v) || !reachable(i, v) || !upToDate(i, v) || voter.term > me.term || locked(v)) continue
            const again = voter.term === me.term && voter.votedFor !== 0
            if (again && !bugs.has("vote-twice-in-a-term")) continue
            all.push(() => {
              if (again) exercised.add("vote-twice-in-a-term")
              if (voter.store.termLocked) exercised.add("no-term-lock")
              if (voter.term < me.term) {
                voter.term = me.term
                voter.leader = false
                voter.store.view = null
                voter.votes = null
              }
              voter.votedFor = i + 1
              votes.add(v)
              emit("GrantVote", v, { j: i + 1 })
            })
          }
          if (majority(votes.size)) {
            all.push(() => {
              me.leader = true
              me.store.view = { primary: i + 1, term: me.term }
              me.votes = null
              emit("BecomeLeader", i)
            })
          }
        }
      }
      // Elections: a random majority of the nodes that would vote for i (none holding the term lock).
      if (options.elections !== "raft" && serving(i) && me.term + 1 <= options.maxTerm) {
        const eligible = ids.filter((v) => reachable(i, v) && upToDate(i, v) && nodes[v]!.term <= me.term && !locked(v))
        if (majority(eligible.length)) {
          elections.push(() => {
            const voters = eligible.filter(() => random() < 0.7)
            const chosen = majority(voters.length) ? voters : eligible
            const term = me.term + 1
            for (const v of chosen) nodes[v]!.leader = v === i
            for (const v of new Set([...chosen, i])) {
              if (nodes[v]!.store.termLocked) exercised.add("no-term-lock")
              nodes[v]!.term = term
              nodes[v]!.store.view = nodes[v]!.leader ? { primary: v + 1, term } : null
            }
            emit("BecomePrimaryByMagic", i, { ayeVoters: chosen.map((v) => v + 1).sort() })
          })
        }
      }
      // The commit point: an entry of the leader's term held by a majority with no higher term.
      if (me.leader) {
        for (let index = me.commitPoint.index + 1; index <= len(i); index++) {
          if (termAt(i, index) !== me.term) continue
          const acks = ids.filter((v) => reachable(i, v) && len(v) >= index && termAt(v, index) === termAt(i, index) && nodes[v]!.term <= me.term)
          if (!majority(acks.length)) continue
          all.push(() => {
            for (let k = me.commitPoint.index + 1; k <= index; k++) committed.add(key(termAt(i, k), k))
            learn(i, { term: termAt(i, index), index })
            emit("AdvanceCommitPoint", i, { acknowledgers: acks.map((v) => v + 1), committedIndex: index })
          })
        }
      }
      // After a restart, an owed event is settled first.
      if (!busy(i) && me.store.pending !== null) {
        rollbacks.push(() => {
          run(i, RollbackCoordinator.resume())
          emit("RollbackResume", i)
        })
      }
      // The rollback coordinator's next step, and its faults.
      const c = me.coordinator
      if (c) {
        if (options.faults.includes("crash")) {
          faults.push(() => {
            // A crash and restart: the coordinator's memory and the term lock are gone, the log is
            // replayed into the key versions; with the planted bug the marker goes too.
            me.coordinator = null
            me.store.termLocked = false
            me.store.versions = replayed(me.store.versions, me.store.log)
            if (bugs.has("volatile-event-marker") && me.store.pending !== null) {
              exercised.add("volatile-event-marker")
              me.store.pending = null
            }
            emit("Crash", i)
          })
        }
        if (c.phase === "planned") {
          rollbacks.push(() => {
            const tail = run(i, runCommand(next(c)))
            const read = advance(c, Either.getOrThrow(tail))
            me.coordinator = advance(read, Either.getOrThrow(run(i, runCommand(next(read)))))
            emit("RollbackPersist", i)
          })
          if (options.faults.includes("persist")) {
            faults.push(() => {
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
          if (bugs.has("recover-before-persist")) {
            rollbacks.push(() => {
              exercised.add("recover-before-persist")
              me.coordinator = advance(advance(c, Either.getOrThrow(run(i, runCommand(next(c))))), "(not written)")
              restore(i)
            })
          }
        }
        if (c.phase === "persisted") rollbacks.push(() => restore(i))
        if (c.phase === "keys-restored") {
          rollbacks.push(() => {
            const current = me.coordinator!
            const truncated = run(i, runCommand(next(current)))
            me.store.termLocked = false
            if (Either.isLeft(truncated)) {
              me.coordinator = null
              emit("RollbackAbort", i)
              return
            }
            for (const e of current.phase === "keys-restored" ? current.tail : []) nodes[i]!.removed.add(key(e.term, e.lsn))
            me.coordinator = advance(current, undefined)
            emit("RollbackTruncate", i)
          })
        }
        if (c.phase === "recovered") rollbacks.push(() => ((me.coordinator = advance(c, Either.getOrThrow(run(i, runCommand(next(c)))))), emit("RollbackEmitEvent", i)))
        if (c.phase === "emitted") {
          rollbacks.push(() => {
            run(i, runCommand(next(c)))
            me.coordinator = null
            emit("RollbackRejoin", i)
          })
        }
      }
    }
    return { all, elections, rollbacks, faults }
  }

  /** RollbackRecover: the check on the node's own view, the term lock, the key versions restored. */
  function restore(i: number): void {
    const me = nodes[i]!
    const c = me.coordinator!
    const command = next(c)
    if (command.kind !== "restore-keys") throw new Error(`restore in phase ${c.phase}`)
    const wrong = bugs.has("restore-wrong-pre-image") && command.target > 0
    if (wrong) exercised.add("restore-wrong-pre-image")
    const restored = run(i, runCommand(wrong ? { ...command, target: command.target - 1 } : command))
    if (Either.isLeft(restored)) {
      me.coordinator = null
      emit("RollbackAbort", i)
      return
    }
    me.store.termLocked = true
    me.coordinator = advance(c, undefined)
    emit("RollbackRecover", i)
  }

  for (let step = 0; step < options.steps; step++) {
    if (options.faults.includes("partition") && random() < 0.05) {
      partition = partition === null ? new Set(ids.filter(() => random() < 0.5)) : null
    }
    const { all, elections, rollbacks, faults } = candidates()
    if (all.length + elections.length + rollbacks.length + faults.length === 0) break
    // Rollback steps most of the time when there are some, their faults and elections seldom
    // (elections use up terms).
    const r = random()
    const pool =
      faults.length > 0 && r < 0.12
        ? faults
        : rollbacks.length > 0 && r < 0.7
          ? rollbacks
          : elections.length > 0 && (r > 0.95 || all.length === 0)
            ? elections
            : all.length > 0
              ? all
              : [...rollbacks, ...elections, ...faults]
    pick(pool)()
  }
  return { lines, broken, exercised }
}
