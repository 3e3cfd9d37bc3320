/**
 * The reference recovery driver (impl/recovery) in seeded clusters with every fault: every run is
 * a run of the recovery model, in memory and on files; the schedules reach every step, outcome and
 * rebuild source; and each planted bug, named after the model variant that states it, is
 * rejected against the design and breaks that invariant when validated against its own variant.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { RECOVERY_BUGS, runRecoveryCluster, type RecoveryBug } from "../../../impl/recovery/cluster.js"
import { fileDurable } from "../../../impl/recovery/file-storage.js"
import type { Protocol } from "../../../model/kit/index.js"
import recovery from "../../../model/protocols/recovery/index.js"
import { validateTrace } from "../../../model/trace/validate.js"

async function* each(lines: readonly string[]) {
  yield* lines
}
const validate = (lines: readonly string[], variant?: string) =>
  validateTrace(recovery as Protocol, { internal: [] }, each(lines), "recovery run", { internalSteps: 0, ...(variant ? { variant } : {}) })

interface Event {
  readonly action: string
  readonly args: { readonly p?: number; readonly r?: number }
  readonly observed: { readonly sender: ReadonlyArray<ReadonlyArray<{ phase: string; view: string; snapshotPin: number; fullBasePin: number }>> }
}

describe("reference recovery driver in a seeded cluster", () => {
  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 2, max: 4 })], { numRuns: 200 })(
    "every seeded run (all faults) is a run of the recovery model",
    async (seed, replicas, maxLsn, maxEpoch) => {
      const { lines } = runRecoveryCluster({ replicas, maxLsn, maxEpoch, seed, steps: 100 })
      const r = await validate(lines)
      expect(r.rejection).toBeNull()
      expect(r.events).toBe(lines.length - 1)
    }
  )

  it("runs on real files too, with the same trace as in memory", async () => {
    const root = mkdtempSync(join(tmpdir(), "replcheck-recovery-"))
    for (let seed = 1; seed <= 5; seed++) {
      const options = { replicas: 2, maxLsn: 4, maxEpoch: 3, seed, steps: 100 }
      const onFiles = runRecoveryCluster({ ...options, open: (n) => fileDurable(join(root, `seed${seed}`, `node${n}`)) })
      expect((await validate(onFiles.lines)).rejection).toBeNull()
      expect(onFiles.lines).toEqual(runRecoveryCluster(options).lines)
    }
  })

  it("the schedules reach every step, every classification and both rebuild sources", () => {
    const seen = new Map<string, number>()
    const count = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1)
    for (let seed = 1; seed <= 150; seed++) {
      const { lines } = runRecoveryCluster({ replicas: 2, maxLsn: 4, maxEpoch: 3, seed, steps: 100 })
      for (const line of lines.slice(1)) {
        const e = JSON.parse(line) as Event
        count(e.action)
        const s = e.args.p !== undefined && e.args.r !== undefined ? e.observed.sender[e.args.p - 1]![e.args.r - 1]! : undefined
        if (e.action === "Handshake") count(`Handshake -> ${s!.phase === "None" ? s!.view : s!.phase}`)
        if (e.action === "PlanRebuild") count(`PlanRebuild -> ${s!.snapshotPin !== 0 ? "snapshot" : s!.fullBasePin !== 0 ? "full base" : "refused"}`)
        if (e.action === "PinWal" && s!.phase === "None") count("PinWal refused")
        if (e.action === "Complete") count(`Complete -> ${s!.view}`)
      }
    }
    for (const step of ["Write", "Replicate", "Handshake", "PinWal", "PinFails", "Truncate", "StartRebuild", "PlanRebuild", "Transfer", "StreamEntry", "Complete", "ReleaseSession", "Disconnect", "CollectWal", "TakeSnapshot", "Failover", "AcceptAssignment", "Crash", "Restart"]) {
      expect(seen.get(step), step).toBeGreaterThan(0)
    }
    for (const outcome of ["Handshake -> InSync", "Handshake -> NeedsRebuild", "Handshake -> Planned", "Handshake -> TruncatePlanned", "PlanRebuild -> snapshot", "PlanRebuild -> full base", "Complete -> InSync", "Complete -> Disconnected"]) {
      expect(seen.get(outcome), outcome).toBeGreaterThan(0)
    }
  })

  // What each planted bug breaks when its run is validated against its own variant. The leaked
  // snapshot pin is seen first by the step invariant, at the step that fails the plan.
  const breaks: Record<RecoveryBug, string> = {
    "lsn-only-handshake": "InSyncMeansSameHistory",
    "pin-without-recheck": "PinSafety",
    "snapshot-pin-leak": "FailClosed",
    "bookkeeping-truncation": "InSyncMeansSameHistory",
    "truncate-to-planned-lsn": "TruncateNeverBelowCommitted",
    "complete-after-epoch-change": "StaleEpochNeverCompletes",
    "frozen-catch-up-target": "InSyncMeansSameHistory",
    "invalidate-drops-plan": "NoPinLeak",
    "snapshot-replaced-while-pinned": "PinSafety"
  }
  it.each(RECOVERY_BUGS.map((bug) => [bug, breaks[bug]] as const))("the planted bug %s is caught, and breaks %s in its own variant", async (bug, invariant) => {
    let rejectedByDesign = 0
    let brokenInVariant = 0
    // Truncating below a commit point that moved on needs a second replica to move it; a session
    // completed after an epoch change needs the serving primary re-assigned mid-session, which
    // crashes and lost connections (failovers of a primary that is gone, invalidations within an
    // epoch) make rare.
    const replicas = bug === "truncate-to-planned-lsn" ? 2 : 1
    const faults = bug === "complete-after-epoch-change" ? { faults: ["failover", "gc"] as const } : {}
    for (let seed = 1; seed <= 400 && brokenInVariant === 0; seed++) {
      const { lines } = runRecoveryCluster({ replicas, maxLsn: 3, maxEpoch: 4, seed, steps: 80, bugs: [bug], ...faults })
      if ((await validate(lines)).rejection) rejectedByDesign++
      const own = await validate(lines, bug)
      if (own.rejection) {
        expect(own.rejection.reason).toBe("invariant")
        expect(own.rejection.invariant).toBe(invariant)
        brokenInVariant++
      }
    }
    expect(rejectedByDesign).toBeGreaterThan(0)
    expect(brokenInVariant).toBeGreaterThan(0)
  })
})
