/**
 * Named design changes of the rollback protocol, each a diff of the base: one rule, or (for
 * `recover-check-then-truncate`) one step split in two. Each is expected to break one
 * invariant; the manifest and spec/adr/0001-deposed-primary-rollback.md say which, and at which bounds.
 */
import { defineState, nodes, oneOf, replaceAction, type VariantDecl } from "../../kit/index.js"
import type { RaftBounds } from "../raftmongo/state.js"
import { raftMongoVariants } from "../raftmongo/variants.js"
import { staleMessage, truncateToCommonPoint, type CoordinatorRules } from "./actions.js"
import type { RollbackRules } from "./index.js"
import { Phase, PHASES, rollbackVariablesWith, type RollbackNext, type RollbackView } from "./state.js"

type Variant = VariantDecl<RaftBounds, RollbackRules>

const coordinator = (change: (r: CoordinatorRules) => CoordinatorRules) => (r: RollbackRules) => ({ ...r, coordinator: change(r.coordinator) })
const replication = (change: (r: RollbackRules["replication"]) => RollbackRules["replication"]) => (r: RollbackRules) => ({ ...r, replication: change(r.replication) })

/** A RaftMongo variant, reused as the same change of the replication rules. */
function raftMongoVariant(name: string): Variant {
  const v = raftMongoVariants.find((x) => x.name === name)!
  return { name: v.name, summary: v.summary, rules: replication((r) => v.rules!(r as never, undefined as never) as never) }
}

/**
 * The coordinator as the reference implementation takes it: it checks that its plan is still
 * current, then truncates, with nothing held between the two (a phase between them, in which
 * elections and term changes go on).
 */
const SplitPhase = oneOf(...PHASES, "Checked")
const SplitState = defineState(rollbackVariablesWith(SplitPhase.names))
const recoverCheck = (rules: RollbackRules) =>
  SplitState.action("RollbackRecoverCheck")
    .exists("i", nodes)
    .require(
      (s, a) => s.rollback.phase(a.i) === rules.coordinator.recoverFrom,
      "wrong-phase",
      (s, a) => `server ${a.i}'s rollback phase is ${SplitPhase.names[s.rollback.phase(a.i)]}, not ${SplitPhase.names[rules.coordinator.recoverFrom]}`
    )
    .require((s, a) => rules.coordinator.planStillCurrent(s as unknown as RollbackView, a.i), "stale-plan", (s, a) => staleMessage(s as unknown as RollbackView, a))
    .then((t, a) => t.rollback.setPhase(a.i, SplitPhase.Checked))
const recoverTruncate = (rules: RollbackRules) =>
  SplitState.action("RollbackRecoverTruncate")
    .exists("i", nodes)
    .require((s, a) => s.rollback.phase(a.i) === SplitPhase.Checked, "wrong-phase", (s, a) => `server ${a.i}'s rollback phase is ${SplitPhase.names[s.rollback.phase(a.i)]}, not Checked`)
    .then((t, a, s) => truncateToCommonPoint(t as unknown as RollbackNext, a.i, s as unknown as RollbackView, rules.coordinator))

export const rollbackVariants: readonly Variant[] = [
  {
    name: "recover-before-persist",
    summary: "the coordinator truncates the log right after planning, before the rollback file is written",
    rules: coordinator((r) => ({ ...r, recoverFrom: Phase.Planned }))
  },
  {
    name: "recover-stale-plan",
    summary: "recovery truncates even when the plan is stale (its primary lost office, or a newer term was seen)",
    rules: coordinator((r) => ({ ...r, planStillCurrent: () => true }))
  },
  {
    name: "no-watermark-guard",
    summary: "the plan goes ahead even when the common point is below the learned commit point",
    rules: coordinator((r) => ({ ...r, planAllowed: () => true }))
  },
  raftMongoVariant("elect-without-majority"),
  {
    name: "learn-without-term-check",
    summary: "a server learns a commit point by heartbeat without the term check (RaftMongo's original LearnCommitPoint)",
    rules: replication((r) => ({ ...r, learnTermCheck: () => true }))
  },
  {
    name: "learn-without-term-check-and-no-watermark-guard",
    summary: "learn-without-term-check, and the plan goes ahead below the learned commit point",
    rules: (r) => ({ replication: { ...r.replication, learnTermCheck: () => true }, coordinator: { ...r.coordinator, planAllowed: () => true } })
  },
  {
    name: "vote-without-log-check",
    summary: "a voter accepts any candidate with no higher term, up to date or not",
    rules: replication((r) => ({ ...r, voterAccepts: (s, candidate, voter) => s.currentTerm(voter) <= s.currentTerm(candidate) }))
  },
  raftMongoVariant("commit-by-counting"),
  {
    name: "persist-failure-ignored",
    summary: "a failed write of the rollback file is treated as success, and recovery goes ahead",
    rules: coordinator((r) => ({ ...r, afterPersistFailure: Phase.Persisted }))
  },
  {
    name: "common-point-by-length",
    summary: "the plan takes the shorter log's length as the common point (assumes the shorter log is a prefix)",
    rules: coordinator((r) => ({ ...r, commonPoint: (s, i, j) => Math.min(s.log.length(i), s.log.length(j)) }))
  },
  {
    name: "raftmongo-commit-point-learning",
    summary: "learning from the sync source may lower the commit point, as RaftMongo's action does",
    rules: replication((r) => ({ ...r, learnOnlyHigher: false }))
  },
  {
    name: "recover-forgets-commit-point",
    summary: "recovery resets the learned commit point to [0, 0] along with the log",
    rules: coordinator((r) => ({ ...r, recoverForgetsCommitPoint: true }))
  },
  {
    name: "recover-check-then-truncate",
    summary: "recovery checks that the plan is still current, then truncates in a separate step with nothing held between (as impl/rollback does)",
    state: SplitState,
    actions: (actions, _b, rules) => replaceAction(actions, "RollbackRecover", recoverCheck(rules), recoverTruncate(rules))
  }
]
