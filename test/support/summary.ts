import type { ExploreResult } from "../../model/engine/explorer.js"

/** What two searches of one model must agree on: counts, coverage and the counterexample's states. */
export const searchSummary = (r: ExploreResult) => ({
  generated: r.generated,
  distinct: r.distinct,
  depth: r.depth,
  coverage: r.coverage,
  violation: r.violation?.invariant ?? null,
  trace: r.violation?.trace.map((s) => Array.from(s.state)) ?? null
})
