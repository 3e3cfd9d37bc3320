/**
 * The reference implementations that `replcheck cluster <protocol>` can run: each says which
 * protocol's traces it writes, declares its flags, and runs a seeded schedule of its components
 * (with faults), returning the trace it wrote and any implementation invariant it broke. The
 * CLI parses the flags from the declaration, writes the trace and validates it against the model.
 */
import { mkdirSync, mkdtempSync, existsSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, statSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { CDC_ACTIONS, CDC_BUGS, runCdcCluster, type CdcBug } from "./cdc/cluster.js"
import { fileCheckpointStore } from "./cdc/file-store.js"
import { simulateCluster, type Fault } from "./cluster/simulator.js"
import { RECOVERY_BUGS, RECOVERY_FAULTS, runRecoveryCluster, type RecoveryBug, type RecoveryFault } from "./recovery/cluster.js"
import { fileDurable } from "./recovery/file-storage.js"
import { runSidecarCluster, SIDECAR_BUGS, type SidecarBug } from "./sidecar/cluster.js"
import { fileStore } from "./sidecar/store.js"
import type { ImplementationFlag } from "../model/cli/commands.js"

/** A flag of an implementation: an integer in a range, a list of names, or a directory. */
export type FlagSpec = ImplementationFlag

export type FlagValues = Readonly<Record<string, number | readonly string[] | string | undefined>>

export interface ReferenceRun {
  /** The trace: a header line, then one event per step. */
  readonly lines: readonly string[]
  /** Implementation invariants broken during the run. */
  readonly broken: readonly string[]
  /** Lines to print above the verdict (what the run did). */
  readonly summary: readonly string[]
  /** Called once the trace is written (e.g. to move a staged store into place). */
  readonly commit?: () => void
  /** Called when the trace could not be written. */
  readonly abort?: () => void
}

export interface ReferenceImplementation {
  readonly protocol: string
  readonly summary: string
  /** Flags by name (without the leading --). */
  readonly flags: Readonly<Record<string, FlagSpec>>
  /** Runs a schedule; throws an Error with a one-line message on bad input (e.g. a --store-dir in use). */
  run(flags: FlagValues): ReferenceRun
  /** The file the trace goes to when --out is not given. */
  defaultOut(flags: FlagValues): string
}

const counts = (lines: readonly string[]) => {
  const c = new Map<string, number>()
  for (const line of lines.slice(1)) {
    const action = (JSON.parse(line) as { action: string }).action
    c.set(action, (c.get(action) ?? 0) + 1)
  }
  return c
}

/** The flags every seeded simulation takes: its seed and how many steps it may take. */
const seedFlag = { kind: "int", default: 1, min: 0, max: 2 ** 32 - 1, description: "the schedule's seed" } as const
const stepsFlag = (byDefault: number) => ({ kind: "int", default: byDefault, min: 1, max: 1_000_000, description: "at most this many steps" }) as const

const rollbackCluster: ReferenceImplementation = {
  protocol: "rollback",
  summary: "nodes running the reference rollback coordinator (impl/rollback) with crashes, failed persists and partitions",
  flags: {
    seed: seedFlag,
    nodes: { kind: "int", default: 3, min: 2, max: 7, description: "nodes" },
    steps: stepsFlag(200),
    faults: { kind: "list", values: ["crash", "persist", "partition"], default: ["crash", "persist", "partition"], description: "faults to inject" },
    "max-term": { kind: "int", default: 15, min: 1, max: 15, description: "terms stop growing here" },
    "max-log-len": { kind: "int", default: 12, min: 1, max: 15, description: "logs stop growing here" }
  },
  defaultOut: (f) => `traces/out/cluster-rollback-seed${f["seed"]}.ndjson`,
  run(f) {
    const faults = f["faults"] as Fault[]
    const run = simulateCluster({ nodes: f["nodes"] as number, steps: f["steps"] as number, seed: f["seed"] as number, faults, maxTerm: f["max-term"] as number, maxLogLen: f["max-log-len"] as number })
    const c = counts(run.lines)
    const steps = ["RollbackPlan", "RollbackPersist", "RollbackPersistFails", "RollbackRecover", "RollbackTruncate", "RollbackAbort", "RollbackEmitEvent", "RollbackRejoin", "RollbackResume", "Crash"].map((a) => `${a} ${c.get(a) ?? 0}`).join(", ")
    return {
      lines: run.lines,
      broken: run.broken,
      summary: [
        `cluster rollback: seed ${f["seed"]}, ${f["nodes"]} nodes, ${run.lines.length - 1} events (of at most ${f["steps"]} steps), faults: ${faults.join(",") || "none"}`,
        `rollback steps: ${steps}`
      ]
    }
  }
}

const sidecarCluster: ReferenceImplementation = {
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
  },
  defaultOut: (f) => {
    const bugs = f["bugs"] as readonly string[]
    return `traces/out/cluster-sidecar-seed${f["seed"]}-w${f["writers"]}-s${f["sweeps"]}-t${f["tables"]}${bugs.length ? `-${bugs.join("+")}` : ""}.ndjson`
  },
  run(f) {
    const writers = f["writers"] as number
    const tables = f["tables"] as number
    const bugs = f["bugs"] as SidecarBug[]
    const { given: dir, staging, place } = storeDir(f, "the store")
    const lines = runSidecarCluster({ writers, sweeps: f["sweeps"] as number, tables, seed: f["seed"] as number, steps: f["steps"] as number, bugs, ...(staging === undefined ? {} : { store: fileStore(staging, tables) }) })
    const c = counts(lines)
    const actions = ["Heal", "WriteSidecar", "CommitTable", "PublishManifest", "DeleteSidecar", "CrashWriter", "SweepClassify", "SweepApply", "SweepFinish"]
    return {
      lines,
      broken: [],
      summary: [
        `cluster sidecar: seed ${f["seed"]}, ${writers} writers, ${f["sweeps"]} sweeps, ${tables} tables, ${lines.length - 1} events (of at most ${f["steps"]} steps), store: ${dir ?? "memory"}, bugs: ${bugs.join(",") || "none"}`,
        `steps: ${actions.map((a) => `${a} ${c.get(a) ?? 0}`).join(", ")}`
      ],
      // The store appears under --store-dir only once the run and its trace are complete.
      ...place
    }
  }
}

const recoveryCluster: ReferenceImplementation = {
  protocol: "recovery",
  summary: "primaries running the reference recovery driver (impl/recovery) over in-memory or file storage, with failovers, GC, refused pins, lost connections and crashes",
  flags: {
    seed: seedFlag,
    replicas: { kind: "int", default: 1, min: 1, max: 3, description: "replicas besides the first primary" },
    "max-lsn": { kind: "int", default: 4, min: 1, max: 6, description: "writes stop at this LSN" },
    "max-epoch": { kind: "int", default: 3, min: 1, max: 5, description: "failovers stop at this epoch" },
    steps: stepsFlag(100),
    faults: { kind: "list", values: RECOVERY_FAULTS, default: RECOVERY_FAULTS, description: "faults to inject" },
    bugs: { kind: "list", values: RECOVERY_BUGS, default: [], description: "planted bugs" },
    "store-dir": { kind: "dir", description: "a new or empty directory for the nodes' files (default: in memory)" }
  },
  defaultOut: (f) => {
    const bugs = f["bugs"] as readonly string[]
    return `traces/out/cluster-recovery-seed${f["seed"]}-r${f["replicas"]}${bugs.length ? `-${bugs.join("+")}` : ""}.ndjson`
  },
  run(f) {
    const bugs = f["bugs"] as RecoveryBug[]
    const faults = f["faults"] as RecoveryFault[]
    const { given: dir, staging, place } = storeDir(f, "the nodes' files")
    const { lines } = runRecoveryCluster({
      replicas: f["replicas"] as number,
      maxLsn: f["max-lsn"] as number,
      maxEpoch: f["max-epoch"] as number,
      seed: f["seed"] as number,
      steps: f["steps"] as number,
      faults,
      bugs,
      ...(staging === undefined ? {} : { open: (n: number) => fileDurable(join(staging, `node${n}`)) })
    })
    const c = counts(lines)
    const actions = ["Write", "Replicate", "Handshake", "PinWal", "PinFails", "Truncate", "StartRebuild", "PlanRebuild", "Transfer", "StreamEntry", "Complete", "ReleaseSession", "Disconnect", "CollectWal", "TakeSnapshot", "Failover", "AcceptAssignment", "Crash", "Restart"]
    return {
      lines,
      broken: [],
      summary: [
        `cluster recovery: seed ${f["seed"]}, ${f["replicas"]} replicas, ${lines.length - 1} events (of at most ${f["steps"]} steps), storage: ${dir ?? "memory"}, faults: ${faults.join(",") || "none"}, bugs: ${bugs.join(",") || "none"}`,
        `steps: ${actions.map((a) => `${a} ${c.get(a) ?? 0}`).join(", ")}`
      ],
      ...place
    }
  }
}

/**
 * A run's --store-dir: the directory given, the staging directory the run writes its store to
 * (undefined: in memory), and the commit and abort that move it into place or remove it.
 */
function storeDir(f: FlagValues, what: string): { readonly given: string | undefined; readonly staging: string | undefined; readonly place: Pick<ReferenceRun, "commit" | "abort"> } {
  const given = f["store-dir"] as string | undefined
  const staged = given === undefined ? undefined : stage(given)
  return { given, staging: staged?.staging, place: placeStaged(staged, what, given) }
}

/** A run's commit and abort for a staged --store-dir: move the staging directory into place, or remove it. */
function placeStaged(staged: { readonly dir: string; readonly staging: string } | undefined, what: string, given: string | undefined): Pick<ReferenceRun, "commit" | "abort"> {
  if (staged === undefined) return {}
  const { dir, staging } = staged
  return {
    commit: () => {
      try {
        if (existsSync(dir)) rmdirSync(dir) // empty, as stage() checked
        renameSync(staging, dir)
      } catch (e) {
        rmSync(staging, { recursive: true, force: true })
        throw new Error(`--store-dir: cannot move ${what} into ${given}: ${(e as Error).message}`)
      }
    },
    abort: () => rmSync(staging, { recursive: true, force: true })
  }
}

/**
 * Checks that `dir` is new or an empty directory, and makes a staging directory beside it for the
 * run's store (a store left by an earlier run would not match this run's fresh writers).
 */
function stage(given: string): { readonly dir: string; readonly staging: string } {
  // A link is followed: the store goes where it points, and its staging directory beside that.
  const dir = existsSync(given) ? realpathSync(given) : resolve(given)
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new Error(`--store-dir: ${given} is not a directory`)
    if (readdirSync(dir).length > 0) throw new Error(`--store-dir: ${given} is not empty; give a new or empty directory`)
  }
  const parent = dirname(dir)
  mkdirSync(parent, { recursive: true })
  return { dir, staging: mkdtempSync(join(parent, ".replcheck-store-")) }
}

/** `replcheck cluster cdc`: the reference cdc producer and consumer (impl/cdc) in a seeded cluster. */
const cdcCluster: ReferenceImplementation = {
  protocol: "cdc",
  summary: "a vBucket's copies and the reference change-stream consumer (impl/cdc) with writes, replication, crashes, failovers, lost connections and consumer restarts",
  flags: {
    seed: { kind: "int", default: 1, min: 0, max: 2 ** 32 - 1, description: "the schedule's seed" },
    steps: { kind: "int", default: 60, min: 1, max: 1_000_000, description: "this many steps" },
    replicas: { kind: "int", default: 1, min: 1, max: 2, description: "replicas besides the first active (copies 1..replicas + 1)" },
    "max-seqno": { kind: "int", default: 3, min: 1, max: 5, description: "writes stop at this seqno" },
    keys: { kind: "int", default: 2, min: 1, max: 3, description: "keys written" },
    "max-failovers": { kind: "int", default: 2, min: 1, max: 3, description: "new branches (failovers and unclean restarts of the active) allowed" },
    bugs: { kind: "list", values: CDC_BUGS, default: [], description: "planted bugs (one per model variant, named after it)" },
    "store-dir": { kind: "dir", description: "a new or empty directory for the consumer's store file (default: in memory)" }
  },
  defaultOut: (f) => {
    const bugs = f["bugs"] as readonly string[]
    return `traces/out/cluster-cdc-seed${f["seed"]}${bugs.length ? `-${bugs.join("+")}` : ""}.ndjson`
  },
  run(f) {
    const bugs = f["bugs"] as CdcBug[]
    const { given: dir, staging, place } = storeDir(f, "the consumer's store")
    const { lines, rollbacks } = runCdcCluster({
      replicas: f["replicas"] as number,
      maxSeqno: f["max-seqno"] as number,
      keys: f["keys"] as number,
      maxFailovers: f["max-failovers"] as number,
      seed: f["seed"] as number,
      steps: f["steps"] as number,
      bugs,
      ...(staging === undefined ? {} : { open: () => fileCheckpointStore(staging) })
    })
    const c = counts(lines)
    return {
      lines,
      broken: [],
      summary: [
        `cluster cdc: seed ${f["seed"]}, ${f["replicas"]} replicas, maxSeqno ${f["max-seqno"]}, keys ${f["keys"]}, maxFailovers ${f["max-failovers"]}, ${lines.length - 1} events, ${rollbacks} rollbacks answered, store: ${dir ?? "memory"}, bugs: ${bugs.join(",") || "none"}`,
        `steps: ${CDC_ACTIONS.map((a) => `${a} ${c.get(a) ?? 0}`).join(", ")}`
      ],
      ...place
    }
  }
}

export const referenceImplementations: readonly ReferenceImplementation[] = [rollbackCluster, sidecarCluster, recoveryCluster, cdcCluster]
