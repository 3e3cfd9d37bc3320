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
  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })], { numRuns: 200 })(
    "every seeded schedule (crashes included) is a run of the sidecar model",
    async (seed, writers, sweeps) => {
      const lines = runSidecarCluster({ writers, sweeps, seed, steps: 60 })
      const r = await validate(lines)
      expect(r.rejection).toBeNull()
    }
  )

  it("runs on real files too", async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const dir = mkdtempSync(join(tmpdir(), "replcheck-sidecar-"))
      const lines = runSidecarCluster({ writers: 2, sweeps: 2, seed, steps: 60, store: fileStore(dir, 2) })
      expect((await validate(lines)).rejection).toBeNull()
    }
  })

  it.each([
    ["cas-mismatch-fails-open", "OpenNeverFailsOnConvergence"],
    ["unconditional-converge-audit", "AuditAtMostOncePerOperation"],
    ["rollback-without-lease", "NoCommittedVersionLost"]
  ] as const)("the planted bug %s is caught, and breaks %s in its own variant", async (bug, invariant) => {
    // Against the fixed design the buggy run is rejected; against the model of the bug (its
    // variant) it is a run, and it breaks the invariant the bug is known to break.
    let rejectedByBase = 0
    let brokenInVariant = 0
    for (let seed = 1; seed <= 400 && brokenInVariant === 0; seed++) {
      const lines = runSidecarCluster({ writers: 2, sweeps: 2, seed, steps: 60, bugs: [bug as SidecarBug] })
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
