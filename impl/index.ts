/**
 * The reference implementations that `replcheck cluster <protocol>` can run: each says which
 * protocol's traces it writes, declares its flags, and runs a seeded schedule of its components
 * (with faults), returning the trace it wrote and any implementation invariant it broke. The
 * CLI parses the flags from the declaration, writes the trace and validates it against the model.
 */
import { mkdirSync, mkdtempSync, existsSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, statSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { CDC_ACTIONS, runCdcCluster, type CdcBug } from "./cdc/cluster.js"
import { fileCheckpointStore } from "./cdc/file-store.js"
import { simulateCluster, type Fault } from "./cluster/simulator.js"
import { runRecoveryCluster, type RecoveryBug, type RecoveryFault } from "./recovery/cluster.js"
import { fileDurable } from "./recovery/file-storage.js"
import { runSidecarCluster, type SidecarBug } from "./sidecar/cluster.js"
import { fileStore } from "./sidecar/store.js"
import type { ImplementationFlag } from "../model/cli/commands.js"
import { implementationCatalog, type ImplementationEntry } from "./catalog.js"

/** A flag of an implementation: an integer in a range, a list of names, or a directory. */
export type FlagSpec = ImplementationFlag

export type FlagValues = Readonly<Record<string, number | readonly string[] | string | undefined>>

export interface ReferenceRun {
  /** The trace: a header line, then one event per step. */
  readonly lines: readonly string[]
  /** Implementation invariants broken during the run. */
  readonly broken: readonly string[]
  /** The variant of the model the run is validated against (default: the base model). */
  readonly variant?: string
  /** Lines to print above the verdict (what the run did). */
  readonly summary: readonly string[]
  /** Called once the trace is written (e.g. to move a staged store into place). */
  readonly commit?: () => void
  /** Called when the trace could not be written. */
  readonly abort?: () => void
}

export interface ReferenceImplementation extends ImplementationEntry {
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

const rollbackCluster: ReferenceImplementation = {
  ...implementationCatalog.rollback,
  defaultOut: (f) => `traces/out/cluster-rollback-seed${f["seed"]}.ndjson`,
  run(f) {
    const faults = f["faults"] as Fault[]
    const run = simulateCluster({ nodes: f["nodes"] as number, steps: f["steps"] as number, seed: f["seed"] as number, faults, maxTerm: f["max-term"] as number, maxLogLen: f["max-log-len"] as number, observe: f["observe"] as "all" | "scalars", elections: f["elections"] as "magic" | "raft" })
    const c = counts(run.lines)
    const steps = ["RollbackPlan", "RollbackPersist", "RollbackPersistFails", "RollbackRecover", "RollbackTruncate", "RollbackAbort", "RollbackEmitEvent", "RollbackRejoin", "RollbackResume", "Crash"].map((a) => `${a} ${c.get(a) ?? 0}`).join(", ")
    return {
      lines: run.lines,
      broken: run.broken,
      ...(f["elections"] === "raft" ? { variant: "raft-elections" } : {}),
      summary: [
        `cluster rollback: seed ${f["seed"]}, ${f["nodes"]} nodes, ${run.lines.length - 1} events (of at most ${f["steps"]} steps), faults: ${faults.join(",") || "none"}`,
        `rollback steps: ${steps}`
      ]
    }
  }
}

const sidecarCluster: ReferenceImplementation = {
  ...implementationCatalog.sidecar,
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
  ...implementationCatalog.recovery,
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
  ...implementationCatalog.cdc,
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
