/**
 * Named design changes of the rollback protocol, each a diff of one rule. Each is expected to
 * break one invariant; the tests and spec/adr/0001-deposed-primary-rollback.md say which, and at
 * which bounds.
 */
import type { Rules } from "../raftmongo/actions.js"
import { raftMongoVariants } from "../raftmongo/variants.js"
import { PERSISTED, PLANNED } from "./layout.js"
import type { CoordinatorRules } from "./actions.js"

export interface RollbackVariant {
  readonly name: string
  readonly summary: string
  readonly coordinator?: (rules: CoordinatorRules) => CoordinatorRules
  readonly replication?: (rules: Rules) => Rules
}

/** A RaftMongo variant, reused as the same change of the replication rules. */
function raftMongoVariant(name: string): RollbackVariant {
  const v = raftMongoVariants.find((x) => x.name === name)!
  return { name: v.name, summary: v.summary, replication: v.apply }
}

export const rollbackVariants: readonly RollbackVariant[] = [
  {
    name: "recover-before-persist",
    summary: "the coordinator truncates the log right after planning, before the rollback file is written",
    coordinator: (r) => ({ ...r, recoverFrom: PLANNED })
  },
  {
    name: "recover-stale-plan",
    summary: "recovery truncates even when the plan is stale (its primary lost office, or a newer term was seen)",
    coordinator: (r) => ({ ...r, planStillCurrent: () => true })
  },
  {
    name: "no-watermark-guard",
    summary: "the plan goes ahead even when the common point is below the learned commit point",
    coordinator: (r) => ({ ...r, planAllowed: () => true })
  },
  { ...raftMongoVariant("elect-without-majority") },
  {
    name: "learn-without-term-check",
    summary: "a server learns a commit point by heartbeat without the term check (RaftMongo's original LearnCommitPoint)",
    replication: (r) => ({ ...r, learnTermCheck: () => true })
  },
  {
    name: "learn-without-term-check-and-no-watermark-guard",
    summary: "learn-without-term-check, and the plan goes ahead below the learned commit point",
    replication: (r) => ({ ...r, learnTermCheck: () => true }),
    coordinator: (r) => ({ ...r, planAllowed: () => true })
  },
  {
    name: "vote-without-log-check",
    summary: "a voter accepts any candidate with no higher term, up to date or not",
    replication: (r) => ({ ...r, voterAccepts: (L, s, candidate, voter) => L.term(s, voter) <= L.term(s, candidate) })
  },
  { ...raftMongoVariant("commit-by-counting") },
  {
    name: "persist-failure-ignored",
    summary: "a failed write of the rollback file is treated as success, and recovery goes ahead",
    coordinator: (r) => ({ ...r, afterPersistFailure: PERSISTED })
  },
  {
    name: "common-point-by-length",
    summary: "the plan takes the shorter log's length as the common point (assumes the shorter log is a prefix)",
    coordinator: (r) => ({ ...r, commonPoint: (L, s, i, j) => Math.min(L.len(s, i), L.len(s, j)) })
  },
  {
    name: "raftmongo-commit-point-learning",
    summary: "learning from the sync source may lower the commit point, as RaftMongo's action does",
    replication: (r) => ({ ...r, learnOnlyHigher: false })
  },
  {
    name: "recover-forgets-commit-point",
    summary: "recovery resets the learned commit point to [0, 0] along with the log",
    coordinator: (r) => ({ ...r, recoverForgetsCommitPoint: true })
  }
]
