/**
 * The sweep's classification and roll-back (impl/sidecar/sweep.ts) from what it can read: version
 * numbers, published versions, the lineage and the sidecar, never which operation made a version.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { emptyState, head, memoryStore, SidecarStore } from "../../../impl/sidecar/store.js"
import { apply, classify, readingOf } from "../../../impl/sidecar/sweep.js"

const setup = () => {
  const store = Effect.runSync(SidecarStore.pipe(Effect.provide(memoryStore(emptyState(2)))))
  return { store, run: <A>(e: Effect.Effect<A>) => Effect.runSync(e) }
}

describe("the identity-blind sweep", () => {
  it("cannot tell another operation's commit at the predicted version from its own operation's", () => {
    const { store, run } = setup()
    // Op 2 writes its sidecar for table 0 and dies before committing; op 1 (no heal first)
    // commits table 0 at the version op 2 predicted.
    const op2 = { op: 2, tables: [0], expected: [0], target: [1] }
    run(store.writeSidecar(op2))
    expect(run(store.commitIf(0, 0, 1))).toBe(true)
    const s = run(store.read)
    // The data is op 1's, but by version numbers op 2's sidecar is rolled past expected.
    expect(s.tables[0]![1]!.rows).toEqual([1])
    expect(classify(s, op2)).toBe("Forward")
  })

  it("rolls back by appending a published restore version, and records the roll-back in the lineage", () => {
    const { store, run } = setup()
    const op1 = { op: 1, tables: [0, 1], expected: [0, 0], target: [1, 1] }
    run(store.writeSidecar(op1))
    expect(run(store.commitIf(0, 0, 1))).toBe(true)
    const s = run(store.read)
    expect(classify(s, op1)).toBe("Back")
    expect(apply(store, op1, "Back", readingOf(s))).toBe("converged")
    const after = run(store.read)
    // Table 0 went 0 -> 1 (op 1) -> 2 (a copy of 0); table 1 did not move, so it is not touched.
    expect([head(after, 0), head(after, 1)]).toEqual([2, 0])
    expect(after.tables[0]![2]).toEqual({ rows: [], op: 0, restoreOf: 0 })
    expect(after.manifest).toEqual({ tables: [2, 0], rolledBack: [1] })
    // Read again, the published restore looks like a finished roll-forward by numbers alone;
    // the lineage says what happened.
    expect(classify(after, op1)).toBe("DoneBack")
    expect(classify({ ...after, manifest: { ...after.manifest, rolledBack: [] } }, op1)).toBe("DoneForward")
  })

  it("defers a roll-back whose table moved since it classified (the restore is conditional)", () => {
    const { store, run } = setup()
    const op1 = { op: 1, tables: [0], expected: [0], target: [1] }
    run(store.writeSidecar(op1))
    expect(run(store.commitIf(0, 0, 1))).toBe(true)
    const read = readingOf(run(store.read))
    // Someone appends to table 0 between the classification and the restore.
    expect(run(store.restoreIf(0, 0, null))).toBe(2)
    expect(apply(store, op1, "Back", read)).toBe("deferred")
    expect(head(run(store.read), 0)).toBe(2)
  })
})
