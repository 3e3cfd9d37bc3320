/** The sweep's roll-back (impl/sidecar/sweep.ts): it restores only the tables that still hold the operation's own versions. */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { emptyState, memoryStore, SidecarStore } from "../../../impl/sidecar/store.js"
import { apply, classify } from "../../../impl/sidecar/sweep.js"

describe("a roll-back", () => {
  it("leaves alone a table another operation has moved on (only its own versions are undone)", () => {
    const state = emptyState(2)
    const store = Effect.runSync(SidecarStore.pipe(Effect.provide(memoryStore(state))))
    const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
    // Both read the manifest at [0, 0]. Op 1 commits table 0, op 2 then commits table 1 (its
    // commit of table 0 fails), and both writers die with their sidecars pending.
    const op1 = { op: 1, expected: [0, 0], target: [1, 1] }
    const op2 = { op: 2, expected: [0, 0], target: [1, 1] }
    run(store.writeSidecar(op1))
    run(store.writeSidecar(op2))
    expect(run(store.commitIf(0, 0, 1, 1))).toBe(true)
    expect(run(store.commitIf(0, 0, 1, 2))).toBe(false)
    expect(run(store.commitIf(1, 0, 1, 2))).toBe(true)
    const s = run(store.read)
    expect(classify(s, op1)).toBe("Back")
    expect(apply(store, op1, "Back", s.manifest.version)).toBe("converged")
    const after = run(store.read)
    // Table 0 held op 1's version and is back at 0; table 1 holds op 2's version and stays.
    expect(after.heads).toEqual([0, 1])
    expect(after.committedBy[1]![1]).toBe(2)
  })
})
