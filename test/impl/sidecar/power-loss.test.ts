/**
 * Power loss and process crash at every operation of a sidecar writer on the file store, on the
 * simulated disk of test/support/power-loss-fs.ts (only fsynced bytes and directory entries
 * survive a power loss). After each, recovery on open leaves no sidecar, and tables and manifest
 * at all of the operation or none of it, with one audit row per recovered sidecar.
 */
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { useFileOps } from "../../../impl/rollback/file-transport.js"
import { fileStore, SidecarStore } from "../../../impl/sidecar/store.js"
import { recoverAll } from "../../../impl/sidecar/sweep.js"
import { PowerLossFs } from "../../support/power-loss-fs.js"

const dir = "/store"
let restore: () => void = () => {}
afterEach(() => restore())
const use = (disk: PowerLossFs) => {
  restore()
  restore = useFileOps(disk)
}
const open = () => Effect.runSync(SidecarStore.pipe(Effect.provide(fileStore(dir, 1))))

/** One writer's operation, as the crash child runs it; stops at the first failure (the power going). */
function writeOperation(): void {
  const store = open()
  const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
  const manifest = run(store.read).manifest
  const record = { op: 1, expected: [...manifest.tables], target: manifest.tables.map((v) => v + 1) }
  run(store.writeSidecar(record))
  for (const t of [0, 1]) if (!run(store.commitIf(t, record.expected[t]!, record.target[t]!, 1))) throw new Error("commit refused")
  if (!run(store.casManifest(manifest.version, record.target))) throw new Error("publish refused")
  run(store.deleteSidecar(1))
}

describe("power loss and process crash at every operation of a sidecar writer", () => {
  it("every cut is recovered to all of the operation or none of it", () => {
    let cuts = 0
    for (let k = 1; ; k++) {
      const disk = new PowerLossFs()
      use(disk)
      disk.cut(k)
      try {
        writeOperation()
      } catch {
        // The power went (an Effect defect wrapping PowerCut).
      }
      if (!disk.off) break
      cuts++
      for (const [mode, after] of [["power loss", disk.afterPowerLoss()], ["process crash", disk.afterCrash()]] as const) {
        const where = `${mode} at operation ${k}`
        use(after)
        const store = open()
        const pending = Effect.runSync(store.read).sidecars.size
        recoverAll(store)
        const s = Effect.runSync(open().read)
        expect(s.sidecars.size, where).toBe(0)
        expect([[0, 0], [1, 1]], where).toContainEqual(s.heads)
        expect(s.manifest.tables, where).toEqual(s.heads)
        expect(s.audit.length, where).toBe(pending)
      }
    }
    expect(cuts).toBeGreaterThan(10)
  })
})
