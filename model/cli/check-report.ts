/**
 * The results of `replcheck check --json` and `check --simulate --json`, as Effect Schemas: the
 * CLI writes them, the library API returns the first, and traces/schema/check-report.schema.json
 * and simulation-report.schema.json are generated from them, so a script reading the JSON has a
 * schema to hold it to.
 */
import { Schema } from "effect"

const Count = Schema.Int.pipe(Schema.nonNegative())

/** Where a counterexample was written: all null when the files could not be (then `writeError` says why; the verdict stands). */
const counterexampleFiles = {
  traceFile: Schema.NullOr(Schema.String),
  textFile: Schema.NullOr(Schema.String),
  /** The trace explorer page, with --html. */
  htmlFile: Schema.NullOr(Schema.String),
  writeError: Schema.NullOr(Schema.String)
}

export const CheckReport = Schema.Struct({
  protocol: Schema.String,
  variant: Schema.String,
  config: Schema.Record({ key: Schema.String, value: Schema.Int }),
  /** "ok": every reachable state explored and no invariant violated; "violation": one was (see `violation`); "incomplete": a cap stopped the search first (see `stopped`). */
  verdict: Schema.Literal("ok", "violation", "incomplete"),
  workers: Schema.Int.pipe(Schema.positive()),
  symmetry: Schema.Boolean,
  deadlock: Schema.Boolean,
  invariants: Schema.Array(Schema.String),
  generated: Count,
  distinct: Count,
  depth: Count,
  /** The search's wall time, rounded to milliseconds. */
  seconds: Schema.Number.pipe(Schema.nonNegative()),
  statesPerSecond: Count,
  /** True when every reachable state (within the constraint) was explored. */
  complete: Schema.Boolean,
  /** cap: "max-depth", "max-states", "memory" (limit in bytes) or "out-of-memory" (an allocation failed in the next level; limit: the resident bytes then). */
  stopped: Schema.NullOr(Schema.Struct({ cap: Schema.String, limit: Count, unexplored: Count })),
  violation: Schema.NullOr(
    Schema.Struct({
      invariant: Schema.String,
      kind: Schema.String,
      /** The counterexample's length in states. */
      length: Schema.Int.pipe(Schema.positive()),
      /** What the invariant says makes it false at the end (the nodes and values), where it says. */
      witness: Schema.NullOr(Schema.String),
      ...counterexampleFiles
    })
  ),
  /** TLC's optimistic estimate: distinct * (generated - distinct) / 2^64. */
  collisionProbability: Schema.Number.pipe(Schema.nonNegative()),
  /** Action name to the number of times it fired. */
  coverage: Schema.Record({ key: Schema.String, value: Count }),
  neverFired: Schema.Array(Schema.String),
  seenSetBytes: Count,
  seenSetBytesPerState: Schema.Number.pipe(Schema.nonNegative()),
  /** The --memory budget the search ran under (by default most of the memory free at its start). */
  memoryBudgetBytes: Count,
  peakRssBytes: Count,
  /** Where a `--resume`d search started: the checkpoint's directory, level, distinct and generated states, and search seconds before it (statesPerSecond is this run's: the states it generated over its seconds). */
  resumed: Schema.NullOr(Schema.Struct({ dir: Schema.String, depth: Count, distinct: Count, generated: Count, seconds: Schema.Number.pipe(Schema.nonNegative()) })),
  /** Where checkpoints are written (`--checkpoint DIR`, or the `--resume` directory), and how often. */
  checkpoint: Schema.NullOr(Schema.Struct({ dir: Schema.String, everySeconds: Count })),
  /** Where a search on disk (`--disk DIR`) kept its files (removed at its end); null: in memory. */
  disk: Schema.NullOr(Schema.String),
  /** The reachable graph's Graphviz file (`--dot FILE`). */
  dotFile: Schema.NullOr(Schema.String)
}).annotations({ identifier: "CheckReport", title: "replcheck check --json", description: "the result of one replcheck check run" })

export type CheckReport = typeof CheckReport.Type

/** The result of `replcheck check --simulate --json`. */
export const SimulationReport = Schema.Struct({
  protocol: Schema.String,
  variant: Schema.String,
  config: Schema.Record({ key: Schema.String, value: Schema.Int }),
  /** "ok": no invariant broken in any walk (which proves nothing about the states not walked); "violation": one was. */
  verdict: Schema.Literal("ok", "violation"),
  seed: Count,
  runs: Count,
  depth: Count,
  /** Threads that walked the runs; the result is the same for any number. */
  workers: Schema.Int.pipe(Schema.positive()),
  invariants: Schema.Array(Schema.String),
  /** Runs walked: all of them, or up to the violating one. */
  walked: Count,
  steps: Count,
  generated: Count,
  longest: Count,
  /** Walks that ended before their depth: nothing inside the state constraint was enabled. */
  endedEarly: Count,
  seconds: Schema.Number.pipe(Schema.nonNegative()),
  runsPerSecond: Schema.Number.pipe(Schema.nonNegative()),
  stepsPerSecond: Count,
  coverage: Schema.Record({ key: Schema.String, value: Count }),
  neverTaken: Schema.Array(Schema.String),
  peakRssBytes: Count,
  violation: Schema.NullOr(
    Schema.Struct({
      invariant: Schema.String,
      kind: Schema.String,
      run: Count,
      /** `--seed <seed> --runs 1` walks the violating run alone. */
      seed: Count,
      /** What the invariant says makes it false at the end of the shortened walk, where it says. */
      witness: Schema.NullOr(Schema.String),
      /** States in the walk as it happened, and once shortened. */
      length: Count,
      shortenedLength: Count,
      ...counterexampleFiles
    })
  )
}).annotations({ identifier: "SimulationReport", title: "replcheck check --simulate --json" })
export type SimulationReport = typeof SimulationReport.Type

/** The result of `replcheck check --liveness --json`. */
export const LivenessReport = Schema.Struct({
  protocol: Schema.String,
  variant: Schema.String,
  config: Schema.Record({ key: Schema.String, value: Schema.Int }),
  /** "ok": every property holds on every fair behavior of the reachable graph; "violation": one does not. */
  verdict: Schema.Literal("ok", "violation"),
  /** The reachable graph (states inside the state constraint; steps that change the state). */
  states: Count,
  edges: Count,
  /** The fairness conditions, as TLA+ writes them: WF(Exit(1)), SF(Enter(2)), ... */
  fairness: Schema.Array(Schema.String),
  seconds: Schema.Number.pipe(Schema.nonNegative()),
  peakRssBytes: Count,
  properties: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      description: Schema.String,
      holds: Schema.Boolean,
      /** For a property that fails: the lasso counterexample (states, the index it loops back to, 0-based as ITF's loop). */
      counterexample: Schema.NullOr(
        Schema.Struct({
          length: Count,
          loop: Count,
          /** The node of a per-node property (`\\A i : P(i) ~> Q(i)`) that fails, else null. */
          node: Schema.NullOr(Count),
          ...counterexampleFiles
        })
      )
    })
  )
}).annotations({ identifier: "LivenessReport", title: "replcheck check --liveness --json" })
export type LivenessReport = typeof LivenessReport.Type
