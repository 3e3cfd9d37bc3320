/**
 * The reference cdc producer and consumer (impl/cdc) in seeded clusters: every run is a run of the
 * cdc model's base design (in memory and with the consumer's store on files); the schedules reach
 * every step, a rollback answer included; and each planted bug (one per model variant, named after
 * it) is rejected against the base design and is a run of its own variant (whose
 * invariants it may break: that is the bug showing).
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { CDC_BUG_NAMES } from "../../../impl/catalog.js"
import { CDC_ACTIONS, CDC_BUGS, runCdcCluster, type CdcBug, type CdcRunOptions } from "../../../impl/cdc/cluster.js"
import { fileCheckpointStore } from "../../../impl/cdc/file-store.js"
import type { Protocol } from "../../../model/kit/index.js"
import cdc from "../../../model/protocols/cdc/index.js"
import { validateTrace } from "../../../model/trace/validate.js"

async function* each(lines: readonly string[]) {
  yield* lines
}
const validate = (lines: readonly string[], variant?: string) => validateTrace(cdc as Protocol, { internal: [] }, each(lines), "cdc run", { internalSteps: 0, ...(variant ? { variant } : {}) })

interface Event {
  readonly action: string
  readonly observed: { readonly stream: { readonly state: string } }
}

describe("reference cdc producer and consumer in a seeded cluster", () => {
  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 1, max: 2 })], { numRuns: 200 })(
    "every seeded run (all faults) is a run of the cdc model's base design",
    async (seed, replicas, maxSeqno, maxFailovers) => {
      const { lines } = runCdcCluster({ replicas, maxSeqno, keys: 2, maxFailovers, seed, steps: 60 })
      const r = await validate(lines)
      expect(r.rejection).toBeNull()
      expect(r.events).toBe(lines.length - 1)
    }
  )

  it("the same seed gives the same run, and the consumer's store on files gives the same trace as in memory", async () => {
    const root = mkdtempSync(join(tmpdir(), "replcheck-cdc-"))
    for (let seed = 1; seed <= 5; seed++) {
      const options = { replicas: 2, maxSeqno: 3, keys: 2, maxFailovers: 2, seed, steps: 80 }
      const memory = runCdcCluster(options)
      expect(runCdcCluster(options).lines).toEqual(memory.lines)
      const onFiles = runCdcCluster({ ...options, open: () => fileCheckpointStore(join(root, `seed${seed}`)) })
      expect(onFiles.lines).toEqual(memory.lines)
      expect((await validate(onFiles.lines)).rejection).toBeNull()
    }
  })

  it("the schedules reach every step, and a stream request answered with a rollback", () => {
    const seen = new Map<string, number>()
    let rollbacks = 0
    for (let seed = 1; seed <= 300; seed++) {
      const run = runCdcCluster({ replicas: 1 + (seed % 2), maxSeqno: 3, keys: 2, maxFailovers: 2, seed, steps: 60 })
      rollbacks += run.rollbacks
      for (const line of run.lines.slice(1)) {
        const e = JSON.parse(line) as Event
        seen.set(e.action, (seen.get(e.action) ?? 0) + 1)
        if (e.action === "OpenStream") seen.set(`OpenStream -> ${e.observed.stream.state === "Open" ? "stream" : "rollback"}`, (seen.get(`OpenStream -> ${e.observed.stream.state === "Open" ? "stream" : "rollback"}`) ?? 0) + 1)
      }
    }
    for (const step of [...CDC_ACTIONS, "OpenStream -> stream", "OpenStream -> rollback"]) expect(seen.get(step), step).toBeGreaterThan(0)
    expect(rollbacks).toBe(seen.get("OpenStream -> rollback"))
  })

  it("there is one planted bug per variant of the model, named after it", () => {
    expect([...CDC_BUGS].sort()).toEqual(cdc.variants.map((v) => v.name).filter((name) => name !== "base").sort())
    // The catalog that list and cluster --help read without loading the implementation names the same bugs.
    expect([...CDC_BUG_NAMES].sort()).toEqual([...CDC_BUGS].sort())
  })

  // With the mitigation on, truncating to the rollback seqno differs from the base only when a
  // rollback lands above the sink's last consistent point, which the mitigation makes rare (the
  // model counts 11,022 more states than the base at maxSeqno 3, none at the defaults): no seed up
  // to 1,000 shows it at the schedule below, one key and a third failover show it at seed 5.
  const schedule: Partial<Record<CdcBug, Partial<CdcRunOptions>>> = { "truncate-to-rollback-seqno": { keys: 1, maxFailovers: 3, steps: 100 } }
  it.each(CDC_BUGS.map((bug) => [bug] as const))("the planted bug %s is rejected against the base design, and is a run of its own variant", async (bug) => {
    let rejectedByDesign = 0
    let checked = 0
    // At least 40 seeds, and on until the base design rejects one.
    for (let seed = 1; seed <= 300 && (seed <= 40 || rejectedByDesign === 0); seed++) {
      const { lines } = runCdcCluster({ replicas: 1, maxSeqno: 3, keys: 2, maxFailovers: 2, seed, steps: 60, bugs: [bug], ...schedule[bug] })
      checked++
      if ((await validate(lines)).rejection) rejectedByDesign++
      // Against its own variant every step matches; a rejection can only be an invariant the variant breaks.
      const own = await validate(lines, bug)
      if (own.rejection) {
        expect(own.rejection.reason, `seed ${seed}`).toBe("invariant")
      }
    }
    expect(rejectedByDesign, `${checked} seeds`).toBeGreaterThan(0)
  })
})
