/**
 * Named design changes of RaftMongo, each a diff of one guard. Each is known to break one
 * invariant; the tests assert which, and the shortest counterexample's length.
 */
import type { Rules } from "./actions.js"

export interface RaftMongoVariant {
  readonly name: string
  readonly summary: string
  readonly apply: (rules: Rules) => Rules
}

export const raftMongoVariants: readonly RaftMongoVariant[] = [
  {
    name: "elect-without-majority",
    summary: "BecomePrimaryByMagic accepts any non-empty set of voters instead of a majority",
    apply: (rules) => ({ ...rules, electionQuorum: (_L, voters) => voters !== 0 })
  },
  {
    name: "commit-by-counting",
    summary: "AdvanceCommitPoint may commit an entry of an earlier term by counting replicas (Raft's Figure 8)",
    apply: (rules) => ({ ...rules, commitEligible: () => true })
  },
  {
    name: "learn-commit-point-without-term-check",
    summary: "LearnCommitPointWithTermCheck drops its term check (MongoDB's original LearnCommitPoint)",
    apply: (rules) => ({ ...rules, learnTermCheck: () => true })
  }
]
