/**
 * RecoveryStorage: a node's storage as the recovery driver uses it, as one Effect service. Durable:
 * its WAL (entries above the tail; the ones at or below it are recycled into the extent), its
 * accepted epoch and its snapshot. In memory only, as sw-block's pinner keeps them: the pins
 * (WAL retention from an LSN, a snapshot, a full base) and whether the snapshot is trusted (one
 * taken by this process). Garbage collection never passes the committed LSN or a WAL or snapshot
 * pin; a WAL pin is refused when its start is already recycled; a pinned snapshot is not replaced.
 *
 * Two durable layers under the same rules: in memory (`memoryDurable`) and on files
 * (file-storage.ts). A crash is a new service over the same durable layer: pins and trust are gone.
 */
import { Context, Effect } from "effect"
import { EntryRecycled, PinRefused, SnapshotPinned, TruncationUnsafe } from "./errors.js"
import type { RetainedHistory, WalEntry } from "./types.js"

/** What a node's durable storage holds. */
export interface DurableImage {
  readonly epoch: number
  /** Every entry, LSN 1..head: the extent's (at or below the tail) and the WAL's. */
  readonly entries: readonly WalEntry[]
  readonly tail: number
  /** The snapshot on disk: its LSN (0: none). */
  readonly snapshot: number
}

/** The durable operations; the service adds the pins and the rules around them. */
export interface Durable {
  image(): DurableImage
  setEpoch(epoch: number): void
  append(entry: WalEntry): void
  /** Drops the entries above `lsn` (never below the tail: the service checks). */
  truncate(lsn: number): void
  /** Replaces the whole history with a base: its entries are the extent, the WAL is empty, the tail is its last LSN. */
  installBase(entries: readonly WalEntry[]): void
  /** Moves the WAL entries at or below `upTo` into the extent. */
  recycle(upTo: number): void
  /** Writes a snapshot of entries 1..lsn. */
  writeSnapshot(entries: readonly WalEntry[]): void
  snapshotEntries(): readonly WalEntry[]
}

export type PinKind = "wal" | "snapshot" | "fullBase"
export interface Pin {
  readonly id: number
  readonly kind: PinKind
  readonly lsn: number
}

/** Deliberate storage defects of the mutation check, named after the model variants that state them. */
export interface StorageBugs {
  /** A WAL pin is granted without checking that its start is still retained. */
  readonly pinWithoutRecheck?: boolean
  /** A new snapshot replaces a pinned one. */
  readonly snapshotReplacedWhilePinned?: boolean
}

export interface RecoveryStorageService {
  readonly image: Effect.Effect<DurableImage>
  /** The history a primary plans from, with the committed LSN it keeps itself. */
  readonly history: (committed: number) => Effect.Effect<RetainedHistory>
  readonly setEpoch: (epoch: number) => Effect.Effect<void>
  readonly append: (entry: WalEntry) => Effect.Effect<void>
  /** The WAL entries with LSN in (fromExclusive, toInclusive]. */
  readonly read: (fromExclusive: number, toInclusive: number) => Effect.Effect<readonly WalEntry[], EntryRecycled>
  readonly truncate: (lsn: number) => Effect.Effect<void, TruncationUnsafe>
  readonly installBase: (entries: readonly WalEntry[]) => Effect.Effect<void>
  /** Recycles the WAL up to `upTo`, or less where replication needs it (`needed`: its own floor) or a pin holds it; returns the new tail. */
  readonly collect: (upTo: number, needed: number) => Effect.Effect<number>
  /** The LSN garbage collection may not pass, given replication's own floor. */
  readonly retentionFloor: (needed: number) => Effect.Effect<number>
  /** Takes a trusted snapshot at `lsn` (at or below the committed LSN). */
  readonly takeSnapshot: (lsn: number) => Effect.Effect<void, SnapshotPinned>
  /** Forgets the snapshot's trust (a demoted primary's checkpoint is not trusted). */
  readonly distrustSnapshot: Effect.Effect<void>
  /** The base a rebuild transfers: the snapshot's entries, or the full history up to `lsn`. */
  readonly baseImage: (source: "SnapshotTail" | "FullBase", lsn: number) => Effect.Effect<readonly WalEntry[]>
  readonly pinWal: (start: number) => Effect.Effect<Pin, PinRefused>
  readonly pinSnapshot: (lsn: number) => Effect.Effect<Pin, PinRefused>
  readonly pinFullBase: (lsn: number) => Effect.Effect<Pin, PinRefused>
  readonly release: (pin: Pin) => Effect.Effect<void>
  readonly pins: Effect.Effect<readonly Pin[]>
  /** Fault injection: the next pin asked for is refused (the storage is out of pins). */
  readonly refuseNextPin: Effect.Effect<void>
}

export class RecoveryStorage extends Context.Tag("replcheck/RecoveryStorage")<RecoveryStorage, RecoveryStorageService>() {}

/** The service over a durable layer, with fresh memory: no pins, no trusted snapshot. */
export function recoveryStorage(durable: Durable, bugs: StorageBugs = {}): RecoveryStorageService {
  const pins = new Map<number, Pin>()
  let nextPin = 1
  let trusted = false
  let refuseNext = false
  const floor = (needed: number) => {
    let f = needed
    for (const pin of pins.values()) if (pin.kind !== "fullBase" && pin.lsn < f) f = pin.lsn
    return f
  }
  const grant = (kind: PinKind, lsn: number, refusal: string | null): Effect.Effect<Pin, PinRefused> => {
    if (refuseNext) {
      refuseNext = false
      return Effect.fail(new PinRefused({ kind, lsn, reason: "the storage refused the pin" }))
    }
    if (refusal !== null) return Effect.fail(new PinRefused({ kind, lsn, reason: refusal }))
    const pin = { id: nextPin++, kind, lsn }
    pins.set(pin.id, pin)
    return Effect.succeed(pin)
  }
  const snapshotLsn = () => (trusted ? durable.image().snapshot : 0)
  return {
    image: Effect.sync(() => ({ ...durable.image(), snapshot: snapshotLsn() })),
    history: (committed) =>
      Effect.sync(() => {
        const image = durable.image()
        return {
          head: image.entries.length,
          tail: image.tail,
          committed,
          snapshot: snapshotLsn(),
          // The WAL's records, and the header of its boundary entry.
          epochAt: (lsn: number) => (lsn >= image.tail && lsn >= 1 && lsn <= image.entries.length ? image.entries[lsn - 1]!.epoch : null)
        }
      }),
    setEpoch: (epoch) => Effect.sync(() => durable.setEpoch(epoch)),
    append: (entry) => Effect.sync(() => durable.append(entry)),
    read: (from, to) =>
      Effect.suspend(() => {
        const image = durable.image()
        if (from < image.tail) return Effect.fail(new EntryRecycled({ lsn: from + 1, tail: image.tail }))
        return Effect.succeed(image.entries.slice(from, to))
      }),
    truncate: (lsn) =>
      Effect.suspend(() => {
        const tail = durable.image().tail
        if (lsn < tail) return Effect.fail(new TruncationUnsafe({ target: lsn, tail }))
        durable.truncate(lsn)
        return Effect.void
      }),
    installBase: (entries) =>
      Effect.sync(() => {
        durable.installBase(entries)
        trusted = false
      }),
    collect: (upTo, needed) =>
      Effect.sync(() => {
        const to = Math.min(upTo, floor(needed))
        if (to > durable.image().tail) durable.recycle(to)
        return durable.image().tail
      }),
    retentionFloor: (needed) => Effect.sync(() => floor(needed)),
    takeSnapshot: (lsn) =>
      Effect.suspend(() => {
        const pinned = [...pins.values()].find((p) => p.kind === "snapshot")
        if (pinned !== undefined && !bugs.snapshotReplacedWhilePinned) return Effect.fail(new SnapshotPinned({ lsn: pinned.lsn }))
        durable.writeSnapshot(durable.image().entries.slice(0, lsn))
        trusted = true
        return Effect.void
      }),
    distrustSnapshot: Effect.sync(() => void (trusted = false)),
    baseImage: (source, lsn) => Effect.sync(() => (source === "SnapshotTail" ? durable.snapshotEntries().slice(0, lsn) : durable.image().entries.slice(0, lsn))),
    pinWal: (start) => Effect.suspend(() => grant("wal", start, start < durable.image().tail && !bugs.pinWithoutRecheck ? `LSN ${start + 1} onwards is not retained (the tail is ${durable.image().tail})` : null)),
    pinSnapshot: (lsn) => Effect.suspend(() => grant("snapshot", lsn, snapshotLsn() !== lsn ? `no trusted snapshot at LSN ${lsn}` : null)),
    pinFullBase: (lsn) => Effect.suspend(() => grant("fullBase", lsn, null)),
    release: (pin) => Effect.sync(() => void pins.delete(pin.id)),
    pins: Effect.sync(() => [...pins.values()]),
    refuseNextPin: Effect.sync(() => void (refuseNext = true))
  }
}

/** A durable layer in memory (tests and the simulator): it survives a "crash", which only drops the service. */
export function memoryDurable(): Durable {
  let epoch = 0
  let entries: WalEntry[] = []
  let tail = 0
  let snapshot: WalEntry[] = []
  return {
    image: () => ({ epoch, entries, tail, snapshot: snapshot.length }),
    setEpoch: (e) => void (epoch = e),
    append: (entry) => void (entries = [...entries, entry]),
    truncate: (lsn) => void (entries = entries.slice(0, lsn)),
    installBase: (base) => {
      entries = [...base]
      tail = base.length
    },
    recycle: (upTo) => void (tail = upTo),
    writeSnapshot: (base) => void (snapshot = [...base]),
    snapshotEntries: () => snapshot
  }
}
