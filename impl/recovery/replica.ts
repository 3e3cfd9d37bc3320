/**
 * The replica's side of the recovery driver's messages: a node that is a replica accepts a
 * primary's handshake, entries, truncation and base only from a primary whose epoch is at least
 * the one it has accepted (fencing), adopts the primary's epoch in a handshake and with a base,
 * and takes an entry only at its next LSN.
 */
import { Effect } from "effect"
import type { ReplicaLink } from "./driver.js"
import { Fenced, NotNextEntry } from "./errors.js"
import type { RecoveryStorageService } from "./storage.js"

/** The link to a replica whose storage is `storage()` while `isReplica()` says it serves as one. */
export function replicaLink(storage: () => RecoveryStorageService, isReplica: () => boolean): ReplicaLink {
  const image = () => storage().image
  const fence = (epoch: number): Effect.Effect<void, Fenced> =>
    Effect.flatMap(image(), (i) => (!isReplica() || i.epoch > epoch ? Effect.fail(new Fenced({ epoch, replicaEpoch: i.epoch })) : Effect.void))
  return {
    handshake: (epoch, committed) =>
      fence(epoch).pipe(
        Effect.andThen(() => storage().setEpoch(epoch)),
        Effect.andThen(image),
        Effect.map((i) => {
          const checked = Math.min(i.entries.length, committed)
          return { flushed: i.entries.length, epochAtCheck: checked > 0 ? i.entries[checked - 1]!.epoch : 0 }
        })
      ),
    append: (epoch, entry) =>
      fence(epoch).pipe(
        Effect.andThen(image),
        Effect.flatMap((i) => (entry.lsn === i.entries.length + 1 ? storage().append(entry) : Effect.fail(new NotNextEntry({ lsn: entry.lsn, flushed: i.entries.length }))))
      ),
    truncate: (epoch, lsn) => fence(epoch).pipe(Effect.andThen(() => storage().truncate(lsn))),
    installBase: (epoch, entries) => fence(epoch).pipe(Effect.andThen(() => storage().installBase(entries)), Effect.andThen(() => storage().setEpoch(epoch)))
  }
}
