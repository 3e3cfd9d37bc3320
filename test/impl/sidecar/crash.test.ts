/**
 * Real crashes: a child process runs a writer on the file store and is killed with SIGKILL after
 * each phase; recovery on open then leaves no sidecar, a manifest that matches the tables (the
 * whole operation or none of it), and at most one audit row.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { fileStore, SidecarStore } from "../../../impl/sidecar/store.js"
import { recoverAll } from "../../../impl/sidecar/sweep.js"

const root = join(import.meta.dirname, "../../..")

describe("SIGKILL after every phase of a sidecar writer", () => {
  it.each([
    ["after-sidecar", [0, 0]],
    ["after-commit-1", [0, 0]],
    ["after-commit-2", [1, 1]],
    ["after-publish", [1, 1]],
    ["after-delete", [1, 1]]
  ] as const)("%s: recovery leaves the tables at %j, published, with no sidecar", (failpoint, tables) => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-sidecar-crash-"))
    const child = spawnSync(process.execPath, [join(root, "dist/impl/sidecar/crash-child.js"), dir, failpoint], { encoding: "utf8" })
    expect(child.signal).toBe("SIGKILL")
    const store = Effect.runSync(SidecarStore.pipe(Effect.provide(fileStore(dir, 1))))
    const atCrash = Effect.runSync(store.read)
    const pendingAtCrash = atCrash.sidecars.size
    // The crash really landed mid-operation: a sidecar is left until the writer deletes it, and
    // after one commit the tables are torn (without recovery a reader would see [1, 0]).
    expect(pendingAtCrash).toBe(failpoint === "after-delete" ? 0 : 1)
    if (failpoint === "after-commit-1") expect(atCrash.heads).toEqual([1, 0])
    recoverAll(store)
    const after = Effect.runSync(store.read)
    expect(after.sidecars.size).toBe(0)
    expect(after.heads).toEqual(tables)
    // Committed both tables but not published: the sweep rolls forward and publishes.
    expect(after.manifest.tables).toEqual(tables)
    expect(after.audit.length).toBe(pendingAtCrash)
    expect(after.audit.length).toBeLessThanOrEqual(1)
  })

  it.each([
    // Rolled back already, the rerun finds nothing of the op visible and finishes it as an abort.
    ["after-commit-1", [0, 0], "Abort"],
    ["after-commit-2", [1, 1], "Forward"],
    ["after-publish", [1, 1], "Forward"]
  ] as const)("a recovery killed after applying its decision, for a writer killed %s, is finished by the next one", (failpoint, tables, decision) => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-sidecar-crash-"))
    const child = (mode: string) => spawnSync(process.execPath, [join(root, "dist/impl/sidecar/crash-child.js"), dir, mode], { encoding: "utf8" })
    expect(child(failpoint).signal).toBe("SIGKILL")
    expect(child("recover-after-apply").signal).toBe("SIGKILL")
    const store = Effect.runSync(SidecarStore.pipe(Effect.provide(fileStore(dir, 1))))
    const atCrash = Effect.runSync(store.read)
    // The decision was applied (tables and manifest already where it leads) but the sidecar is
    // still pending and no audit row is written.
    expect(atCrash.heads).toEqual(tables)
    expect(atCrash.manifest.tables).toEqual(tables)
    expect(atCrash.sidecars.size).toBe(1)
    expect(atCrash.audit).toEqual([])
    recoverAll(store)
    const after = Effect.runSync(store.read)
    expect(after.sidecars.size).toBe(0)
    expect(after.heads).toEqual(tables)
    expect(after.manifest.tables).toEqual(tables)
    expect(after.audit).toEqual([{ op: 1, decision }])
  })
})
