/**
 * The sidecar protocol's storage (ADR 0002) as one Effect service: tables with versions (and the
 * op that wrote each), a manifest with compare-and-swap, sidecar records, and the audit log.
 * Two layers: in memory, and on a file (replaced atomically by every operation: temporary file,
 * fsync, rename, directory fsync).
 */
import { join } from "node:path"
import { Context, Effect, Layer } from "effect"
import { fileOps, writeDurably } from "../rollback/file-transport.js"

export const TABLES = [0, 1] as const

export interface SidecarRecord {
  readonly op: number
  readonly expected: readonly number[]
  readonly target: readonly number[]
}

export interface ManifestValue {
  readonly version: number
  readonly tables: readonly number[]
}

export interface StoreState {
  heads: number[]
  /** committedBy[t][v]: the op that committed version v of table t (0: none); grows as versions do. */
  committedBy: number[][]
  manifest: ManifestValue
  sidecars: Map<number, SidecarRecord>
  audit: Array<{ op: number; decision: string }>
}

export interface SidecarStoreService {
  readonly read: Effect.Effect<StoreState>
  /** Sets table t to `target` if it is at `expected`; records the op. */
  readonly commitIf: (t: number, expected: number, target: number, op: number) => Effect.Effect<boolean>
  /** Puts table t back to `version` (a roll-back). */
  readonly restore: (t: number, version: number) => Effect.Effect<void>
  readonly casManifest: (seen: number, tables: readonly number[]) => Effect.Effect<boolean>
  readonly writeSidecar: (record: SidecarRecord) => Effect.Effect<void>
  /** Deletes op's sidecar and appends its audit row in one step, if it is still there. */
  readonly finishSidecar: (op: number, decision: string, auditEvenIfGone: boolean) => Effect.Effect<boolean>
  /** A writer deletes its own sidecar after publishing (no audit row). */
  readonly deleteSidecar: (op: number) => Effect.Effect<void>
}

export class SidecarStore extends Context.Tag("replcheck/SidecarStore")<SidecarStore, SidecarStoreService>() {}

export function emptyState(writers: number): StoreState {
  return {
    heads: [0, 0],
    committedBy: TABLES.map(() => Array.from({ length: writers + 1 }, () => 0)),
    manifest: { version: 0, tables: [0, 0] },
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
    commitIf: (t, expected, target, op) =>
      update((s) => {
        if (s.heads[t] !== expected) return false
        const by = s.committedBy[t]!
        while (by.length <= target) by.push(0)
        s.heads[t] = target
        by[target] = op
        return true
      }),
    restore: (t, version) =>
      update((s) => {
        s.heads[t] = version
      }),
    casManifest: (seen, tables) =>
      update((s) => {
        if (s.manifest.version !== seen) return false
        s.manifest = { version: seen + 1, tables: [...tables] }
        return true
      }),
    writeSidecar: (record) =>
      update((s) => {
        s.sidecars.set(record.op, record)
      }),
    finishSidecar: (op, decision, auditEvenIfGone) =>
      update((s) => {
        const present = s.sidecars.delete(op)
        if (present || auditEvenIfGone) s.audit.push({ op, decision })
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
export function fileStore(dir: string, writers: number): Layer.Layer<SidecarStore> {
  fileOps().mkdirSync(dir, { recursive: true })
  const path = join(dir, "store.json")
  const load = (): StoreState => {
    if (!fileOps().existsSync(path)) return emptyState(writers)
    const raw = JSON.parse(fileOps().readFileSync(path, "utf8")) as Omit<StoreState, "sidecars"> & { sidecars: SidecarRecord[] }
    return { ...raw, sidecars: new Map(raw.sidecars.map((r) => [r.op, r])) }
  }
  const save = (s: StoreState) => writeDurably(path, JSON.stringify({ ...s, sidecars: [...s.sidecars.values()] }) + "\n")
  return Layer.succeed(SidecarStore, storeOver(load, save))
}
