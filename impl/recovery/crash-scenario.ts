/**
 * A fixed two-node run of the recovery driver on files, for the real crash test
 * (test/impl/recovery/crash.test.ts): catch-up, failover, truncation of the deposed primary,
 * snapshot, garbage collection and a snapshot+tail rebuild, each step a place to be killed
 * (crash-child.ts runs it and SIGKILLs itself after a step or at a storage failpoint). `converge`
 * is what a restarted cluster does next: a fresh primary at a new epoch brings the replica in sync.
 */
import { join } from "node:path"
import { Effect } from "effect"
import { RecoveryDriver } from "./driver.js"
import { fileDurable } from "./file-storage.js"
import { replicaLink } from "./replica.js"
import { recoveryStorage, type RecoveryStorageService } from "./storage.js"

export interface ScenarioStep {
  readonly name: string
  /** The node that is primary once the step is done (the other is its replica). */
  readonly primary: 1 | 2
  /** The primary's epoch once the step is done. */
  readonly epoch: number
}

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runSync(e)

export const openNode = (dir: string, n: number): RecoveryStorageService => recoveryStorage(fileDurable(join(dir, `node${n}`)))

/** The steps, in order, with who is primary after each. */
export const SCENARIO: readonly ScenarioStep[] = [
  ...[1, 2, 3].map((k) => ({ name: `node 1 writes LSN ${k}`, primary: 1, epoch: 1 }) as const),
  { name: "handshake: catch-up planned", primary: 1, epoch: 1 },
  { name: "WAL pin", primary: 1, epoch: 1 },
  ...[1, 2, 3].map((k) => ({ name: `stream LSN ${k}`, primary: 1, epoch: 1 }) as const),
  { name: "complete: node 2 in sync", primary: 1, epoch: 1 },
  { name: "node 2 disconnected", primary: 1, epoch: 1 },
  { name: "node 1 writes LSN 4 alone", primary: 1, epoch: 1 },
  { name: "failover: node 2 primary at epoch 2", primary: 2, epoch: 2 },
  { name: "handshake: node 1 ahead, truncation planned", primary: 2, epoch: 2 },
  { name: "truncate node 1 to LSN 3", primary: 2, epoch: 2 },
  { name: "complete: node 1 in sync", primary: 2, epoch: 2 },
  { name: "node 1 disconnected", primary: 2, epoch: 2 },
  ...[4, 5].map((k) => ({ name: `node 2 writes LSN ${k}`, primary: 2, epoch: 2 }) as const),
  { name: "snapshot at LSN 5", primary: 2, epoch: 2 },
  { name: "garbage collection to LSN 5", primary: 2, epoch: 2 },
  { name: "handshake: node 1 needs a rebuild", primary: 2, epoch: 2 },
  { name: "rebuild assigned", primary: 2, epoch: 2 },
  { name: "rebuild planned: snapshot pinned", primary: 2, epoch: 2 },
  { name: "rebuild: WAL pin", primary: 2, epoch: 2 },
  { name: "rebuild: snapshot transferred", primary: 2, epoch: 2 },
  { name: "complete: node 1 in sync again", primary: 2, epoch: 2 }
]

/** Runs the scenario in `dir`, calling `after(k)` after step k (1-based). */
export function runScenario(dir: string, after: (step: number) => void): void {
  const storages = [openNode(dir, 1), openNode(dir, 2)]
  const roles: Array<"Primary" | "Replica"> = ["Primary", "Replica"]
  const link = (r: number) => replicaLink(() => storages[r - 1]!, () => roles[r - 1] === "Replica")
  for (const s of storages) run(s.setEpoch(1))
  const one = new RecoveryDriver(1, 1, storages[0]!, [1, 2], link)
  let two: RecoveryDriver | null = null
  const steps: Array<() => void> = [
    () => run(one.write("a")),
    () => run(one.write("b")),
    () => run(one.write("c")),
    () => run(one.handshake(2)),
    () => run(one.pinWal(2)),
    () => run(one.streamEntry(2)),
    () => run(one.streamEntry(2)),
    () => run(one.streamEntry(2)),
    () => run(one.complete(2)),
    () => one.disconnect(2),
    () => run(one.write("d (never replicated)")),
    () => {
      // The master's new assignment, accepted by both nodes.
      run(storages[1]!.setEpoch(2))
      roles[1] = "Primary"
      two = new RecoveryDriver(2, 2, storages[1]!, [1, 2], link)
      run(one.shutdown())
      run(storages[0]!.setEpoch(2))
      roles[0] = "Replica"
    },
    () => run(two!.handshake(1)),
    () => run(two!.truncate(1)),
    () => run(two!.complete(1)),
    () => two!.disconnect(1),
    () => run(two!.write("e")),
    () => run(two!.write("f")),
    () => run(two!.takeSnapshot()),
    () => run(two!.collectGarbage(5)),
    () => run(two!.handshake(1)),
    () => two!.startRebuild(1),
    () => run(two!.planRebuild(1)),
    () => run(two!.pinWal(1)),
    () => run(two!.transfer(1)),
    () => run(two!.complete(1))
  ]
  if (steps.length !== SCENARIO.length) throw new Error("the scenario's steps and their names differ in number")
  steps.forEach((step, k) => {
    step()
    after(k + 1)
  })
}

/**
 * A restarted cluster's next move: `primary` takes a new epoch and drives its replica's recovery
 * (handshake, rebuild if it must, pins, stream, truncate, transfer, complete) until it is in sync.
 * Returns the driver, in sync with the replica.
 */
export function converge(primary: { readonly id: 1 | 2; readonly storage: RecoveryStorageService }, replica: RecoveryStorageService, epoch: number): RecoveryDriver {
  const other = primary.id === 1 ? 2 : 1
  run(primary.storage.setEpoch(epoch))
  const driver = new RecoveryDriver(primary.id, epoch, primary.storage, [1, 2], () => replicaLink(() => replica, () => true))
  for (let k = 0; k < 50; k++) {
    const sender = driver.senders.get(other)!
    if (sender.view === "InSync" && sender.session === null) return driver
    const step = driver.steps(other).find((s) => s !== "Disconnect" && s !== "PinFails" && s !== "Replicate")
    if (step === undefined) throw new Error(`the recovery of node ${other} is stuck (${JSON.stringify(sender)})`)
    run(driver.take(other, step))
  }
  throw new Error(`node ${other} did not reach sync in 50 steps`)
}
