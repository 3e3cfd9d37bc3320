/**
 * Real crashes: a child process runs a writer on the file store and is killed with SIGKILL after
 * each phase; recovery on open then leaves no sidecar, published versions that hold the whole
 * operation's rows or none of them (a roll-back appends restore versions: heads only grow), and
 * at most one audit row.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { fileStore, head, SidecarStore, type StoreState } from "../../../impl/sidecar/store.js"
import { recoverAll } from "../../../impl/sidecar/sweep.js"

const root = join(import.meta.dirname, "../../..")
const open = (dir: string) => Effect.runSync(SidecarStore.pipe(Effect.provide(fileStore(dir, 2))))
const child = (dir: string, mode: string) => spawnSync(process.execPath, [join(root, "dist/impl/sidecar/crash-child.js"), dir, mode], { encoding: "utf8" })
/** The rows of each table's published version: what a reader sees. */
const published = (s: StoreState) => s.manifest.tables.map((v, t) => s.tables[t]![v]!.rows)

describe("SIGKILL after every phase of a sidecar writer", () => {
  it.each([
    ["after-sidecar", [[], []], [0, 0], "RolledBack"],
    ["after-commit-1", [[], []], [2, 0], "RolledBack"],
    ["after-commit-2", [[1], [1]], [1, 1], "RolledForward"],
    ["after-publish", [[1], [1]], [1, 1], "RolledForward"],
    ["after-delete", [[1], [1]], [1, 1], null]
  ] as const)("%s: recovery publishes rows %j (heads %j) and leaves no sidecar", (failpoint, rows, heads, outcome) => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-sidecar-crash-"))
    expect(child(dir, failpoint).signal).toBe("SIGKILL")
    const store = open(dir)
    const atCrash = Effect.runSync(store.read)
    // The crash really landed mid-operation: a sidecar is left until the writer deletes it, and
    // after one commit the tables are torn (the first holds the op's rows, the second not).
    expect(atCrash.sidecars.size).toBe(failpoint === "after-delete" ? 0 : 1)
    if (failpoint === "after-commit-1") expect([head(atCrash, 0), head(atCrash, 1)]).toEqual([1, 0])
    recoverAll(store)
    const after = Effect.runSync(store.read)
    expect(after.sidecars.size).toBe(0)
    expect(published(after)).toEqual(rows)
    expect([head(after, 0), head(after, 1)]).toEqual(heads)
    // Recovery publishes what it decides: the published versions are the heads.
    expect(after.manifest.tables).toEqual(heads)
    expect(after.audit).toEqual(outcome ? [{ op: 1, outcome }] : [])
  })

  it.each([
    // Rolled back and published already: the rerun finds the roll-back in the lineage.
    ["after-commit-1", [[], []], "RolledBack"],
    ["after-commit-2", [[1], [1]], "RolledForward"],
    ["after-publish", [[1], [1]], "RolledForward"]
  ] as const)("a recovery killed after applying its decision, for a writer killed %s, is finished by the next one", (failpoint, rows, outcome) => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-sidecar-crash-"))
    expect(child(dir, failpoint).signal).toBe("SIGKILL")
    expect(child(dir, "recover-after-apply").signal).toBe("SIGKILL")
    const store = open(dir)
    const atCrash = Effect.runSync(store.read)
    // The decision was applied (published where it leads) but the sidecar is still pending and
    // no audit row is written.
    expect(published(atCrash)).toEqual(rows)
    expect(atCrash.sidecars.size).toBe(1)
    expect(atCrash.audit).toEqual([])
    const headsAtCrash = [head(atCrash, 0), head(atCrash, 1)]
    recoverAll(store)
    const after = Effect.runSync(store.read)
    expect(after.sidecars.size).toBe(0)
    expect(published(after)).toEqual(rows)
    // The second recovery writes no version: it records what the first did.
    expect([head(after, 0), head(after, 1)]).toEqual(headsAtCrash)
    expect(after.audit).toEqual([{ op: 1, outcome }])
  })
})
