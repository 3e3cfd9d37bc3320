/**
 * What each reference implementation is and which flags `replcheck cluster <protocol>` takes for
 * it, as plain data: `replcheck list` and `cluster <protocol> --help` read this without loading
 * the implementations (and Effect). impl/index.ts adds to each entry the code that runs it.
 */
import type { ImplementationFlag } from "../model/cli/commands.js"

export interface ImplementationEntry {
  readonly protocol: string
  readonly summary: string
  /** Flags by name (without the leading --). */
  readonly flags: Readonly<Record<string, ImplementationFlag>>
}

/** Faults the cluster simulator of the rollback coordinator injects. */
export const ROLLBACK_FAULTS = ["crash", "persist", "partition"] as const

export const SIDECAR_BUGS = ["cas-mismatch-fails-open", "unconditional-converge-audit", "rollback-without-lease"] as const

export const RECOVERY_BUGS = [
  "lsn-only-handshake",
  "pin-without-recheck",
  "snapshot-pin-leak",
  "bookkeeping-truncation",
  "truncate-to-planned-lsn",
  "complete-after-epoch-change",
  "frozen-catch-up-target",
  "invalidate-drops-plan",
  "snapshot-replaced-while-pinned"
] as const

export const RECOVERY_FAULTS = ["disconnect", "pin", "gc", "failover", "crash"] as const

/**
 * The cdc bugs by name, one per model variant (impl/cdc/cluster.ts's CDC_BUGS, which derives them
 * from the consumer's and producer's bug tables; a test keeps the two equal).
 */
export const CDC_BUG_NAMES: readonly string[] = [
  "go-dcp",
  "mitigation-off",
  "truncate-to-rollback-seqno",
  "truncate-to-rollback-seqno-unmitigated",
  "mitigation-ignores-absent-copies",
  "rising-mitigation-view",
  "checkpoint-before-apply",
  "ack-with-stream-snapshot",
  "no-snapshot-range",
  "catch-up-after-rollback",
  "redeliver-without-truncating",
  "apply-after-reconnect",
  "resume-ignoring-vbuuid",
  "rollback-to-branch-end",
  "branch-at-snapshot-start"
]

/** The flags every seeded simulation takes: its seed and how many steps it may take. */
const seedFlag = { kind: "int", default: 1, min: 0, max: 2 ** 32 - 1, description: "the schedule's seed" } as const
const stepsFlag = (byDefault: number) => ({ kind: "int", default: byDefault, min: 1, max: 1_000_000, description: "at most this many steps" }) as const

export const implementationCatalog = {
  rollback: {
    protocol: "rollback",
    summary: "nodes running the reference rollback coordinator (impl/rollback) with crashes, failed persists and partitions",
    flags: {
      seed: seedFlag,
      nodes: { kind: "int", default: 3, min: 2, max: 7, description: "nodes" },
      steps: stepsFlag(200),
      faults: { kind: "list", values: ROLLBACK_FAULTS, default: ROLLBACK_FAULTS, description: "faults to inject" },
      "max-term": { kind: "int", default: 15, min: 1, max: 1_000_000_000, description: "terms stop growing here" },
      "max-log-len": { kind: "int", default: 12, min: 1, max: 1_000_000_000, description: "logs stop growing here" },
      observe: { kind: "choice", values: ["all", "scalars"], default: "all", description: "what each event observes: every variable, or the node's scalars only (term, role, commit point, leader view, coordinator)" },
      elections: {
        kind: "choice",
        values: ["magic", "raft"],
        default: "magic",
        description: "elections at once (the model's BecomePrimaryByMagic), or as Raft runs them: StartElection, GrantVote per voter, BecomeLeader (validated against the variant raft-elections)"
      }
    }
  },
  sidecar: {
    protocol: "sidecar",
    summary: "the reference sidecar writers and recovery sweeps (impl/sidecar) on an in-memory or file store, with crashes",
    flags: {
      seed: seedFlag,
      writers: { kind: "int", default: 2, min: 1, max: 4, description: "writers, one operation each" },
      sweeps: { kind: "int", default: 2, min: 1, max: 3, description: "concurrent recovery sweeps" },
      tables: { kind: "int", default: 2, min: 1, max: 3, description: "tables" },
      steps: stepsFlag(60),
      bugs: { kind: "list", values: SIDECAR_BUGS, default: [], description: "planted bugs" },
      "store-dir": { kind: "dir", description: "a new or empty directory for the file store (default: in memory)" }
    }
  },
  recovery: {
    protocol: "recovery",
    summary:
      "primaries running the reference recovery driver (impl/recovery) over in-memory or file storage, with failovers, GC, refused pins, lost connections and crashes",
    flags: {
      seed: seedFlag,
      replicas: { kind: "int", default: 1, min: 1, max: 3, description: "replicas besides the first primary" },
      "max-lsn": { kind: "int", default: 4, min: 1, max: 6, description: "writes stop at this LSN" },
      "max-epoch": { kind: "int", default: 3, min: 1, max: 5, description: "failovers stop at this epoch" },
      steps: stepsFlag(100),
      faults: { kind: "list", values: RECOVERY_FAULTS, default: RECOVERY_FAULTS, description: "faults to inject" },
      bugs: { kind: "list", values: RECOVERY_BUGS, default: [], description: "planted bugs" },
      "store-dir": { kind: "dir", description: "a new or empty directory for the nodes' files (default: in memory)" }
    }
  },
  cdc: {
    protocol: "cdc",
    summary:
      "a vBucket's copies and the reference change-stream consumer (impl/cdc) with writes, replication, crashes, failovers, lost connections and consumer restarts",
    flags: {
      seed: { kind: "int", default: 1, min: 0, max: 2 ** 32 - 1, description: "the schedule's seed" },
      steps: { kind: "int", default: 60, min: 1, max: 1_000_000, description: "this many steps" },
      replicas: { kind: "int", default: 1, min: 1, max: 2, description: "replicas besides the first active (copies 1..replicas + 1)" },
      "max-seqno": { kind: "int", default: 3, min: 1, max: 5, description: "writes stop at this seqno" },
      keys: { kind: "int", default: 2, min: 1, max: 3, description: "keys written" },
      "max-failovers": { kind: "int", default: 2, min: 1, max: 3, description: "new branches (failovers and unclean restarts of the active) allowed" },
      bugs: { kind: "list", values: CDC_BUG_NAMES, default: [], description: "planted bugs (one per model variant, named after it)" },
      "store-dir": { kind: "dir", description: "a new or empty directory for the consumer's store file (default: in memory)" }
    }
  }
} as const satisfies Record<string, ImplementationEntry>

/** Every reference implementation, in the order `replcheck list` shows them. */
export const implementationEntries: readonly ImplementationEntry[] = [implementationCatalog.rollback, implementationCatalog.sidecar, implementationCatalog.recovery, implementationCatalog.cdc]
