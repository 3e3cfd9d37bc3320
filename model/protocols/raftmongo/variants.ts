/**
 * Named design changes of RaftMongo, each a diff of one guard. Each is known to break one
 * invariant; the manifest records which, and the shortest counterexample's length.
 */
import type { VariantDecl } from "../../kit/index.js"
import type { Rules } from "./actions.js"
import type { RaftBounds } from "./state.js"

export const raftMongoVariants: ReadonlyArray<VariantDecl<RaftBounds, Rules>> = [
  {
    name: "elect-without-majority",
    summary: "BecomePrimaryByMagic accepts any non-empty set of voters instead of a majority",
    rules: (r) => ({ ...r, electionQuorum: (_s, voters) => voters !== 0 })
  },
  {
    name: "commit-by-counting",
    summary: "AdvanceCommitPoint may commit an entry of an earlier term by counting replicas (Raft's Figure 8)",
    rules: (r) => ({ ...r, commitEligible: () => true })
  },
  {
    name: "learn-commit-point-without-term-check",
    summary: "LearnCommitPointWithTermCheck drops its term check (MongoDB's original LearnCommitPoint)",
    rules: (r) => ({ ...r, learnTermCheck: () => true })
  }
]
