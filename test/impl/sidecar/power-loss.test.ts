/**
 * Power loss and process crash at every operation of a sidecar writer on the file store, on the
 * simulated disk of test/support/power-loss-fs.ts (only fsynced bytes and directory entries
 * survive a power loss). After each, recovery on open leaves no sidecar, published versions that
 * hold all of the operation's rows or none of them, and one audit row per recovered sidecar.
 */
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { useFileOps } from "../../../impl/rollback/file-transport.js"
import { fileStore, head, SidecarStore } from "../../../impl/sidecar/store.js"
import { recoverAll } from "../../../impl/sidecar/sweep.js"
import { PowerLossFs } from "../../support/power-loss-fs.js"

const dir = "/store"
let restore: () => void = () => {}
afterEach(() => restore())
const use = (disk: PowerLossFs) => {
  restore()
  restore = useFileOps(disk)
}
const open = () => Effect.runSync(SidecarStore.pipe(Effect.provide(fileStore(dir, 2))))

/** One writer's operation, as the crash child runs it; stops at the first failure (the power going). */
function writeOperation(): void {
  const store = open()
  const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
  const manifest = run(store.read).manifest
  const record = { op: 1, tables: [0, 1], expected: [...manifest.tables], target: manifest.tables.map((v) => v + 1) }
  run(store.writeSidecar(record))
  for (const t of [0, 1]) if (!run(store.commitIf(t, record.expected[t]!, 1))) throw new Error("commit refused")
  const pins = (vs: readonly number[]) => new Map(vs.map((v, t) => [t, v]))
  if (!run(store.casManifest(pins(record.expected), pins(record.target)))) throw new Error("publish refused")
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
        expect([[[], []], [[1], [1]]], where).toContainEqual(s.manifest.tables.map((v, t) => s.tables[t]![v]!.rows))
        expect(s.manifest.tables, where).toEqual([head(s, 0), head(s, 1)])
        expect(s.audit.length, where).toBe(pending)
      }
    }
    expect(cuts).toBeGreaterThan(10)
  })
})
