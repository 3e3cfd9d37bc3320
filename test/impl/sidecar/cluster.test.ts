/**
 * The reference sidecar writers and sweeps (impl/sidecar), interleaved by seeded schedules with
 * crashes: every run validates against the sidecar model, on the in-memory and the file-backed
 * store; and each of the three known bugs, planted, is caught by validation.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { runSidecarCluster, type SidecarBug } from "../../../impl/sidecar/cluster.js"
import { fileStore } from "../../../impl/sidecar/store.js"
import type { Protocol } from "../../../model/kit/index.js"
import sidecar from "../../../model/protocols/sidecar/index.js"
import { validateTrace } from "../../../model/trace/validate.js"

async function* each(lines: readonly string[]) {
  yield* lines
}
const validate = (lines: readonly string[]) => validateTrace(sidecar as Protocol, { internal: [] }, each(lines), "sidecar run", { internalSteps: 0 })

describe("reference sidecar writers and sweeps", () => {
  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })], { numRuns: 200 })(
    "every seeded schedule (crashes included) is a run of the sidecar model",
    async (seed, writers, sweeps, tables) => {
      const lines = runSidecarCluster({ writers, sweeps, tables, seed, steps: 80 })
      const r = await validate(lines)
      expect(r.rejection).toBeNull()
    }
  )

  it("the schedules reach every step of the protocol, roll-backs and heals included", () => {
    const seen = new Map<string, number>()
    for (let seed = 1; seed <= 100; seed++) {
      for (const line of runSidecarCluster({ writers: 3, sweeps: 2, tables: 2, seed, steps: 80 }).slice(1)) {
        const e = JSON.parse(line) as { action: string; observed: { sweep?: Array<{ decision: string }> } }
        const key = e.action === "SweepClassify" ? `SweepClassify ${e.observed.sweep!.find((x) => x.decision !== "None")?.decision}` : e.action
        seen.set(key, (seen.get(key) ?? 0) + 1)
      }
    }
    for (const step of ["Heal", "WriteSidecar", "CommitTable", "PublishManifest", "DeleteSidecar", "CrashWriter", "SweepApply", "SweepFinish"]) expect(seen.get(step), step).toBeGreaterThan(0)
    for (const decision of ["Forward", "Back", "DoneForward", "DoneBack"]) expect([...seen.keys()].some((k) => k.startsWith("SweepClassify") && k.endsWith(decision)), decision).toBe(true)
  })

  it("runs on real files too", async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const dir = mkdtempSync(join(tmpdir(), "replcheck-sidecar-"))
      const lines = runSidecarCluster({ writers: 2, sweeps: 2, tables: 2, seed, steps: 60, store: fileStore(dir, 2) })
      expect((await validate(lines)).rejection).toBeNull()
    }
  })

  it.each([
    ["cas-mismatch-fails-open", "OpenNeverFailsOnConvergence"],
    ["unconditional-converge-audit", "AuditAtMostOncePerOperation"],
    ["rollback-without-lease", "NoCommittedDataLost"]
  ] as const)("the planted bug %s is caught, and breaks %s in its own variant", async (bug, invariant) => {
    // Against the fixed design the buggy run is rejected; against the model of the bug (its
    // variant) it is a run, and it breaks the invariant the bug is known to break.
    let rejectedByBase = 0
    let brokenInVariant = 0
    for (let seed = 1; seed <= 400 && brokenInVariant === 0; seed++) {
      const lines = runSidecarCluster({ writers: 2, sweeps: 2, tables: 2, seed, steps: 60, bugs: [bug as SidecarBug] })
      if ((await validate(lines)).rejection) rejectedByBase++
      const own = await validateTrace(sidecar as Protocol, { internal: [] }, each(lines), "sidecar run", { internalSteps: 0, variant: bug })
      if (own.rejection) {
        expect(own.rejection.reason).toBe("invariant")
        expect(own.rejection.invariant).toBe(invariant)
        brokenInVariant++
      }
    }
    expect(rejectedByBase).toBeGreaterThan(0)
    expect(brokenInVariant).toBeGreaterThan(0)
  })
})
