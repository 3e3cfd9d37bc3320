/**
 * Real crashes of the recovery driver on files: a child process runs a fixed two-node scenario
 * (catch-up, failover, truncation, snapshot, garbage collection, snapshot+tail rebuild) and is
 * killed with SIGKILL after every step and inside every multi-file storage change. Reopened, each
 * node holds exactly what the step left (or, killed inside a change, what was there before it or
 * after it): nothing committed is lost and no half-made state is read. No pin survives the restart,
 * so garbage collection is held by the commit point alone. A fresh primary at a new epoch then
 * brings the replica in sync, entry by entry, holding no pin once it is done.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { converge, openNode, runScenario, SCENARIO } from "../../../impl/recovery/crash-scenario.js"
import { failpoints, type StorageFailpoint } from "../../../impl/recovery/file-storage.js"
import type { DurableImage } from "../../../impl/recovery/storage.js"

const root = join(import.meta.dirname, "../../..")
const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runSync(e)
const child = (dir: string, spec: string) => spawnSync(process.execPath, [join(root, "dist/impl/recovery/crash-child.js"), dir, spec], { encoding: "utf8" })
const fresh = () => mkdtempSync(join(tmpdir(), "replcheck-recovery-crash-"))
const durable = (i: DurableImage) => ({ epoch: i.epoch, entries: i.entries, tail: i.tail })

// The uninterrupted run, in this process: both nodes' durable images after every step, and at
// which step each passage of a storage failpoint happens.
const images: Array<ReturnType<typeof durable>[]> = []
const passages: Array<{ readonly at: StorageFailpoint; readonly nth: number; readonly step: number }> = []
{
  const dir = fresh()
  const seen = new Map<StorageFailpoint, number>()
  let step = 1
  const stop = failpoints((at) => {
    seen.set(at, (seen.get(at) ?? 0) + 1)
    passages.push({ at, nth: seen.get(at)!, step })
  })
  try {
    runScenario(dir, (k) => {
      images[k] = [1, 2].map((n) => durable(run(openNode(dir, n).image)))
      step = k + 1
    })
  } finally {
    stop()
  }
  images[0] = [{ epoch: 1, entries: [], tail: 0 }, { epoch: 1, entries: [], tail: 0 }]
}

/** Reopens both nodes, checks no pin survived, and converges the replica under a new primary epoch. */
function restartAndConverge(dir: string, primary: 1 | 2, epoch: number) {
  const nodes = [openNode(dir, 1), openNode(dir, 2)] as const
  for (const n of nodes) expect(run(n.pins)).toEqual([])
  const p = nodes[primary - 1]!
  const committed = run(p.image).entries.length
  // Nothing holds the WAL but the commit point: no pin survived the crash.
  expect(run(p.retentionFloor(committed))).toBe(committed)
  const driver = converge({ id: primary, storage: p }, nodes[2 - primary]!, epoch + 1)
  const ours = run(p.image).entries
  expect(run(nodes[2 - primary]!.image).entries).toEqual(ours.slice(0, driver.committed))
  expect(run(p.pins)).toEqual([])
}

describe("SIGKILL during the recovery driver's steps", () => {
  it("the scenario ends with the replica rebuilt from the snapshot and in sync", () => {
    const last = images[SCENARIO.length]!
    expect(last[0]!.entries.map((e) => e.data)).toEqual(["a", "b", "c", "e", "f"])
    expect(last[1]!.entries).toEqual(last[0]!.entries)
    expect(last[0]!.tail).toBe(5)
  })

  it.each(SCENARIO.map((s, k) => [k + 1, s.name, s.primary, s.epoch] as const))("killed after step %i (%s): each node holds what the step left, and recovery converges", (step, _name, primary, epoch) => {
    const dir = fresh()
    expect(child(dir, `step:${step}`).signal).toBe("SIGKILL")
    expect([1, 2].map((n) => durable(run(openNode(dir, n).image)))).toEqual(images[step])
    restartAndConverge(dir, primary, epoch)
  })

  const inside = passages.filter((p) => p.at !== "append:after-write" || p.nth === 1 || p.nth === 7 || p.step === SCENARIO.length)
  it.each(inside.map((p) => [p.at, p.nth, p.step] as const))("killed at %s (passage %i, in step %i): each node holds the state before or after the step", (at, nth, step) => {
    const dir = fresh()
    expect(child(dir, `${at}:${nth}`).signal).toBe("SIGKILL")
    const now = [1, 2].map((n) => durable(run(openNode(dir, n).image)))
    expect([JSON.stringify(images[step - 1]), JSON.stringify(images[step])]).toContain(JSON.stringify(now))
    const { primary, epoch } = SCENARIO[step - 1]!
    restartAndConverge(dir, primary, epoch)
  })
})
