/**
 * The sidecar protocol's storage (ADR 0002) as one Effect service: versioned tables whose
 * versions hold rows (each operation writes one row per table it commits), a manifest with a
 * compare-and-swap on the published version of each table it names, sidecar records, and the
 * audit log. A roll-back never lowers a head: it appends a restore version, a copy of an older
 * one. Two layers: in memory, and on a file (replaced atomically by every operation: temporary
 * file, fsync, rename, directory fsync).
 */
import { join } from "node:path"
import { Context, Effect, Layer } from "effect"
import { fileOps, writeDurably } from "../rollback/file-transport.js"

export interface SidecarRecord {
  readonly op: number
  /** The tables the operation writes (0-based), ascending. */
  readonly tables: readonly number[]
  /** Per table (indexed like `tables`): the published version it builds on, and the version its commit makes. */
  readonly expected: readonly number[]
  readonly target: readonly number[]
}

export interface TableVersion {
  /** The operations whose rows this version holds. */
  readonly rows: readonly number[]
  /** The operation whose commit made it (0: the initial version or a restore). */
  readonly op: number
  /** For a restore version: the version it copies. */
  readonly restoreOf: number | null
}

export interface Manifest {
  /** The published version of each table. */
  readonly tables: readonly number[]
  /** Operations whose roll-back the manifest's lineage records. */
  readonly rolledBack: readonly number[]
}

export type Outcome = "RolledForward" | "RolledBack"

export interface StoreState {
  /** tables[t][v]: version v of table t; the head is the last. */
  tables: TableVersion[][]
  manifest: Manifest
  sidecars: Map<number, SidecarRecord>
  audit: Array<{ op: number; outcome: Outcome }>
}

export const head = (s: StoreState, t: number) => s.tables[t]!.length - 1

export interface SidecarStoreService {
  readonly read: Effect.Effect<StoreState>
  /** Appends op's version of table t if the head is `expected` (a commit with no rebase). */
  readonly commitIf: (t: number, expected: number, op: number) => Effect.Effect<boolean>
  /** Appends a restore version of table t, a copy of version `from`, if the head is still `ifHead`; returns the new head or null. */
  readonly restoreIf: (t: number, from: number, ifHead: number | null) => Effect.Effect<number | null>
  /**
   * Publishes `updates` (table -> version) if every table in `expected` is still published at
   * its version; `rolledBack` also records that roll-back in the lineage.
   */
  readonly casManifest: (expected: ReadonlyMap<number, number>, updates: ReadonlyMap<number, number>, rolledBack?: number) => Effect.Effect<boolean>
  readonly writeSidecar: (record: SidecarRecord) => Effect.Effect<void>
  /** Deletes op's sidecar and appends its audit row in one step, if it is still there. */
  readonly finishSidecar: (op: number, outcome: Outcome, auditEvenIfGone: boolean) => Effect.Effect<boolean>
  /** A writer deletes its own sidecar after publishing (no audit row). */
  readonly deleteSidecar: (op: number) => Effect.Effect<void>
}

export class SidecarStore extends Context.Tag("replcheck/SidecarStore")<SidecarStore, SidecarStoreService>() {}

export function emptyState(tables: number): StoreState {
  return {
    tables: Array.from({ length: tables }, () => [{ rows: [], op: 0, restoreOf: null }]),
    manifest: { tables: Array.from({ length: tables }, () => 0), rolledBack: [] },
    sidecars: new Map(),
    audit: []
  }
}

/** The operations over a state held somewhere: `load` reads it, `save` writes it back atomically. */
function storeOver(load: () => StoreState, save: (s: StoreState) => void): SidecarStoreService {
  const update = <A>(f: (s: StoreState) => A) =>
    Effect.sync(() => {
      const s = load()
      const result = f(s)
      save(s)
      return result
    })
  return {
    // A copy, so a caller that holds a state it read sees the same thing on either layer.
    read: Effect.sync(() => structuredClone(load())),
    commitIf: (t, expected, op) =>
      update((s) => {
        if (head(s, t) !== expected) return false
        const versions = s.tables[t]!
        versions.push({ rows: [...versions[expected]!.rows, op], op, restoreOf: null })
        return true
      }),
    restoreIf: (t, from, ifHead) =>
      update((s) => {
        if (ifHead !== null && head(s, t) !== ifHead) return null
        const versions = s.tables[t]!
        versions.push({ rows: [...versions[from]!.rows], op: 0, restoreOf: from })
        return versions.length - 1
      }),
    casManifest: (expected, updates, rolledBack) =>
      update((s) => {
        for (const [t, v] of expected) if (s.manifest.tables[t] !== v) return false
        const tables = [...s.manifest.tables]
        for (const [t, v] of updates) tables[t] = v
        s.manifest = { tables, rolledBack: rolledBack === undefined ? s.manifest.rolledBack : [...s.manifest.rolledBack, rolledBack] }
        return true
      }),
    writeSidecar: (record) =>
      update((s) => {
        s.sidecars.set(record.op, record)
      }),
    finishSidecar: (op, outcome, auditEvenIfGone) =>
      update((s) => {
        const present = s.sidecars.delete(op)
        if (present || auditEvenIfGone) s.audit.push({ op, outcome })
        return present
      }),
    deleteSidecar: (op) =>
      update((s) => {
        s.sidecars.delete(op)
      })
  }
}

export function memoryStore(state: StoreState): Layer.Layer<SidecarStore> {
  return Layer.succeed(SidecarStore, storeOver(() => state, () => {}))
}

/**
 * The file-backed layer: the whole store in one file (store.json) under `dir`, replaced
 * atomically by every operation, so a step that touches several parts (delete a sidecar and
 * append its audit row) is all-or-nothing across a crash.
 */
export function fileStore(dir: string, tables: number): Layer.Layer<SidecarStore> {
  fileOps().mkdirSync(dir, { recursive: true })
  const path = join(dir, "store.json")
  const load = (): StoreState => {
    if (!fileOps().existsSync(path)) return emptyState(tables)
    const raw = JSON.parse(fileOps().readFileSync(path, "utf8")) as Omit<StoreState, "sidecars"> & { sidecars: SidecarRecord[] }
    return { ...raw, sidecars: new Map(raw.sidecars.map((r) => [r.op, r])) }
  }
  const save = (s: StoreState) => writeDurably(path, JSON.stringify({ ...s, sidecars: [...s.sidecars.values()] }) + "\n")
  return Layer.succeed(SidecarStore, storeOver(load, save))
}
