/**
 * The consumer's CheckpointStore on files: one directory holds `store.json`, the checkpoint and
 * the sink together (the base design keeps them in one store, so that a rollback moves both and a
 * restart finds them consistent). Every change replaces the whole file durably: write
 * `store.json.tmp`, fsync it, rename it over `store.json`, fsync the directory. A crash (or a
 * power loss) at any point leaves the old file or the new one; a temporary file left behind is
 * removed when the store is opened.
 *
 * File operations go through impl/rollback/file-transport.ts's `fileOps()`, so tests can run the
 * store on a simulated disk that forgets what was not fsynced (test/support/power-loss-fs.ts).
 */
import { join } from "node:path"
import { Effect, Layer, Schema } from "effect"
import { fileOps, writeDurably, type PersistFailpoint } from "../rollback/file-transport.js"
import { CheckpointStore, withApplied, withRollback, type CheckpointStoreService, type StoreImage } from "./consumer.js"
import { StoreFailed } from "./errors.js"
import { Checkpoint, Mutation, NO_CHECKPOINT } from "./types.js"

const StoreFile = Schema.Struct({ checkpoint: Checkpoint, sink: Schema.Array(Mutation) })
const decode = Schema.decodeUnknownSync(StoreFile)
const encode = Schema.encodeSync(StoreFile)

export const STORE_FILE = "store.json"

let failpoint: (at: PersistFailpoint) => void = () => {}
/** Calls `at` inside each durable write (between its steps) until the returned function is called; tests crash there. */
export function storeFailpoints(at: (point: PersistFailpoint) => void): () => void {
  const previous = failpoint
  failpoint = at
  return () => void (failpoint = previous)
}

/** The file's text for an image. */
export const storeText = (image: StoreImage) => JSON.stringify(encode({ checkpoint: image.checkpoint, sink: [...image.sink] })) + "\n"

/** Reads the store in `dir` (creating the directory; an absent file is the empty store). */
export function readStore(dir: string): StoreImage {
  const ops = fileOps()
  ops.mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `${STORE_FILE}.tmp`)
  // A durable write that never reached its rename: the old file is the state.
  if (ops.existsSync(tmp)) ops.rmSync(tmp, { force: true })
  const path = join(dir, STORE_FILE)
  if (!ops.existsSync(path)) return { checkpoint: NO_CHECKPOINT, sink: [] }
  return decode(JSON.parse(ops.readFileSync(path, "utf8")))
}

/** Replaces the store in `dir` durably (the internal step a change makes). */
export function writeStore(dir: string, image: StoreImage): void {
  writeDurably(join(dir, STORE_FILE), storeText(image), (at) => failpoint(at))
}

/** Opens (or creates) the file store in `dir`. */
export function fileCheckpointStore(dir: string): CheckpointStoreService {
  let image = readStore(dir)
  const change = (op: string, next: (image: StoreImage) => StoreImage) =>
    Effect.try({
      try: () => {
        const updated = next(image)
        writeStore(dir, updated)
        image = updated
      },
      catch: (e) => new StoreFailed({ op, reason: (e as Error).message })
    })
  return {
    read: Effect.sync(() => image),
    apply: (m) => change("apply", (i) => withApplied(i, m)),
    saveCheckpoint: (checkpoint) => change("saveCheckpoint", (i) => ({ ...i, checkpoint })),
    rollback: (to, checkpoint) => change("rollback", (i) => withRollback(i, to, checkpoint))
  }
}

/** The file store layer (opened when the layer is built). */
export const FileCheckpointStore = (dir: string): Layer.Layer<CheckpointStore, StoreFailed> =>
  Layer.effect(
    CheckpointStore,
    Effect.try({ try: () => fileCheckpointStore(dir), catch: (e) => new StoreFailed({ op: "open", reason: (e as Error).message }) })
  )
