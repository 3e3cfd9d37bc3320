/**
 * Real crashes of the reference cdc consumer on files: a child process runs a seeded cluster run
 * (impl/cdc/crash-scenario.ts's CRASH_RUN: a failover, a rollback that truncates the sink, a
 * consumer restart) with the consumer's store on files, and is killed with SIGKILL after every
 * step and inside store writes. The store on disk holds exactly what the step left (killed inside a
 * write: what was there before it or after it). The producer is replayed to the step (a run of k
 * steps is the first k steps of a longer one), the consumer is started again from the store and
 * resumes from its checkpoint, and once the cluster has settled and the consumer has caught up its
 * sink holds every key's latest mutation of the surviving history and nothing else.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { build } from "esbuild"
import { beforeAll, describe, expect, it } from "vitest"
import { runCdcCluster } from "../../../impl/cdc/cluster.js"
import { baseConsumerRules, type StoreImage } from "../../../impl/cdc/consumer.js"
import { catchUp, CRASH_RUN, restartConsumer, sinkProblems } from "../../../impl/cdc/crash-scenario.js"
import { fileCheckpointStore, readStore, storeFailpoints, storeText } from "../../../impl/cdc/file-store.js"
import type { PersistFailpoint } from "../../../impl/rollback/file-transport.js"

const root = join(import.meta.dirname, "../../..")
const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runSync(e)
const fresh = () => mkdtempSync(join(tmpdir(), "replcheck-cdc-crash-"))
// The child is bundled into one file: a process that loads effect's modules one by one takes about
// 1 s to start here, the bundle 0.3 s, and the test starts 80 of them.
const bundle = join(fresh(), "crash-child.mjs")
beforeAll(async () => {
  await build({ entryPoints: [join(root, "dist/impl/cdc/crash-child.js")], bundle: true, platform: "node", format: "esm", outfile: bundle, logLevel: "warning" })
})
const child = (dir: string, spec: string) => spawnSync(process.execPath, [bundle, dir, spec], { encoding: "utf8" })

// The uninterrupted run, in this process on files: the store after every step, what each step did,
// and in which step each passage of a store-write failpoint happens.
const images: StoreImage[] = [{ checkpoint: readStore(fresh()).checkpoint, sink: [] }]
const passages: Array<{ readonly at: PersistFailpoint; readonly nth: number; readonly step: number }> = []
const { lines } = (() => {
  const dir = fresh()
  const seen = new Map<PersistFailpoint, number>()
  let step = 1
  const stop = storeFailpoints((at) => {
    seen.set(at, (seen.get(at) ?? 0) + 1)
    passages.push({ at, nth: seen.get(at)!, step })
  })
  try {
    return runCdcCluster({
      ...CRASH_RUN,
      open: () => fileCheckpointStore(dir),
      after: (k) => {
        images[k] = readStore(dir)
        step = k + 1
      }
    })
  } finally {
    stop()
  }
})()
const actions = lines.slice(1).map((line) => (JSON.parse(line) as { action: string }).action)

/** Replays the producer to step k, restarts the consumer from the store in `dir`, catches it up and checks its sink. */
function restartAndCatchUp(dir: string, k: number) {
  const replay = runCdcCluster({ ...CRASH_RUN, steps: k })
  // The killed process's connection closes with it.
  run(replay.consumer.connectionLost())
  const onDisk = readStore(dir)
  const consumer = restartConsumer(replay.cluster, fileCheckpointStore(dir), baseConsumerRules)
  // It resumes from its checkpoint, with a sink holding nothing past it.
  expect(consumer.offset).toEqual(onDisk.checkpoint)
  expect(run(consumer.store.read).sink.every((m) => m.seqno <= onDisk.checkpoint.seqno)).toBe(true)
  catchUp(replay.cluster, consumer)
  const after = run(consumer.store.read)
  expect(sinkProblems(replay.cluster, after)).toEqual([])
  const active = replay.cluster.copy(replay.cluster.active)
  expect(after.checkpoint).toMatchObject({ vbuuid: active.failoverLog[0]!.vbuuid, seqno: active.high })
  // What the consumer wrote is on disk.
  expect(readStore(dir)).toEqual(after)
}

describe("SIGKILL during the reference cdc consumer's run", () => {
  it("the run reaches a failover, a rollback that truncates the sink, and a restart that truncates it to the checkpoint", () => {
    const sinkAt = (k: number) => images[k]!.sink.length
    const at = (action: string) => actions.flatMap((a, k) => (a === action ? [k + 1] : []))
    const failover = at("Failover")[0]!
    expect(failover).toBeGreaterThan(0)
    expect(at("OpenStream").some((k) => sinkAt(k) < sinkAt(k - 1))).toBe(true)
    expect(at("ConsumerRestart").some((k) => sinkAt(k) < sinkAt(k - 1))).toBe(true)
    for (const step of ["Apply", "SaveCheckpoint"]) {
      expect(at(step).some((k) => k < failover)).toBe(true)
      expect(at(step).some((k) => k > failover)).toBe(true)
    }
  })

  it("without a crash, the consumer catches up after the run with nothing missed and nothing phantom", () => {
    const dir = fresh()
    expect(child(dir, "step:0").status).toBe(0)
    expect(readStore(dir)).toEqual(images[CRASH_RUN.steps])
    restartAndCatchUp(dir, CRASH_RUN.steps)
  })

  it.each(actions.map((action, k) => [k + 1, action] as const))("killed after step %i (%s): the store holds what the step left, and the restarted consumer catches up", (step) => {
    const dir = fresh()
    expect(child(dir, `step:${step}`).signal).toBe("SIGKILL")
    expect(readStore(dir)).toEqual(images[step])
    restartAndCatchUp(dir, step)
  })

  it.each(passages.map((p) => [p.at, p.nth, p.step, actions[p.step - 1]] as const))(
    "killed at %s (passage %i, in step %i, %s): the store holds the state before or after the step, and the restarted consumer catches up",
    (at, nth, step) => {
      const dir = fresh()
      expect(child(dir, `${at}:${nth}`).signal).toBe("SIGKILL")
      expect([storeText(images[step - 1]!), storeText(images[step]!)]).toContain(storeText(readStore(dir)))
      restartAndCatchUp(dir, step)
    }
  )
})
