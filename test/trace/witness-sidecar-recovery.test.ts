/**
 * The sidecar and recovery invariants' witnesses, each on a real counterexample: the actors and
 * values a witness names are read back from the counterexample's last state (and, for a step
 * invariant, the one before), not taken from its wording alone.
 */
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeConfig } from "../../model/engine/config.js"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import type { Protocol } from "../../model/kit/index.js"
import recovery from "../../model/protocols/recovery/index.js"
import sidecar from "../../model/protocols/sidecar/index.js"
import { renderTrace, witnessOf } from "../../model/trace/counterexample.js"

// A decoded state, read loosely: each test reads the fields its witness names.
type Decoded = any

/** The shortest counterexample of a variant (one invariant, where given), its last two states decoded, and its witness. */
async function counterexample(protocol: Protocol, variant: string, invariant?: string, config: Record<string, number> = {}) {
  const full = decodeConfig(protocol.bounds, config)
  if (Either.isLeft(full)) throw new Error(full.left)
  const model = protocol.build(full.right, variant)
  const options: ExploreOptions = { workers: 1, symmetry: false, deadlock: false, ...(invariant ? { invariants: [invariant] } : {}) }
  const r = await explore(model, options, localDriver(model, options))
  const v = r.violation!
  const ctx = { protocol: protocol.name, variant, config: full.right, invariant: v.invariant, kind: v.kind }
  const decode = (k: number): Decoded => model.codec.decode(v.trace[k]!.state)
  return { model, v, ctx, before: decode(Math.max(0, v.trace.length - 2)), last: decode(v.trace.length - 1), witness: witnessOf(model, v.trace, ctx) ?? "no witness" }
}

/** Matches a witness and returns its numbered groups as numbers (NaN for words). */
function parse(witness: string, pattern: RegExp): number[] {
  const m = pattern.exec(witness)
  expect(m, witness).not.toBeNull()
  return m!.slice(1).map(Number)
}

/** The operations whose data version v of table t holds, as a bitmask (sidecar's contentOf, over a decoded state). */
function content(s: Decoded, t: number, v: number): number {
  let mask = 0
  while (v > 0) {
    const from = s.restoredFrom[t - 1][v] as number
    if (from > 0) {
      v = from - 1
      continue
    }
    const by = s.author[t - 1][v] as number
    if (by > 0) mask |= 1 << (by - 1)
    v--
  }
  return mask
}
const holdsData = (s: Decoded, t: number, v: number, w: number) => (content(s, t, v) & (1 << (w - 1))) !== 0
const inSidecar = (s: Decoded, w: number, t: number) => ((s.sidecar[w - 1].tables as number) & (1 << (t - 1))) !== 0
const LIVE = ["Armed", "Committed", "Published"]

describe("sidecar witnesses", () => {
  const p = sidecar as Protocol

  it("OpenNeverFailsOnConvergence names the failed sweep and the published versions holding its op's data", async () => {
    const { last, witness } = await counterexample(p, "cas-mismatch-fails-open")
    const [sw, w] = parse(witness, /^sweep (\d) failed op (\d), yet its data is published in table \d at version \d+(?: and table \d at version \d+)*$/)
    expect(last.sweep[sw! - 1]).toMatchObject({ phase: "Failed", op: w })
    const named = [...witness.matchAll(/table (\d) at version (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const)
    expect(named.map(([t]) => t)).toEqual([1, 2].filter((t) => inSidecar(last, w!, t)))
    for (const [t, v] of named) {
      expect(last.manifest[t - 1]).toBe(v)
      expect(holdsData(last, t, v, w!)).toBe(true)
    }
  })

  it("AuditAtMostOncePerOperation names the op and its number of audit rows", async () => {
    const { last, witness } = await counterexample(p, "unconditional-converge-audit")
    const [w, rows] = parse(witness, /^op (\d) has (\d+) recovery audit rows$/)
    expect(rows).toBeGreaterThan(1)
    expect(last.audit[w! - 1].rows).toBe(rows)
  })

  it("NoSidecarLeftAtQuiescence names the pending sidecar left when everything is idle", async () => {
    const { model, v, ctx, last, witness } = await counterexample(p, "unexpected-defers-no-heal-first", "NoSidecarLeftAtQuiescence")
    const [w] = parse(witness, /^all writers finished and sweeps idle, but no sweep can resolve op (\d)'s pending sidecar$/)
    for (const writer of last.writer) expect(["Done", "Crashed", "Failed"]).toContain(writer.phase)
    for (const sweep of last.sweep) expect(sweep.phase).toBe("Idle")
    expect(last.sidecar[w! - 1].pending).toBe(true)
    expect(renderTrace(model, v.trace, ctx)).toContain(`\nViolated: NoSidecarLeftAtQuiescence\n  because ${witness}\n`)
  })

  it("VersionsMonotonic names the table and the version it lowers", async () => {
    const { before, last, witness } = await counterexample(p, "blind-sweep-publish")
    const m = /^table (\d)'s (head|published version) goes from (\d+) down to (\d+)$/.exec(witness)
    expect(m, witness).not.toBeNull()
    const [t, from, to] = [1, 3, 4].map((k) => Number(m![k]))
    const field = m![2] === "head" ? "heads" : "manifest"
    expect([before[field][t! - 1], last[field][t! - 1]]).toEqual([from, to])
    expect(to).toBeLessThan(from!)
  })

  it("NoCommittedDataLost names the head that loses a live writer's data", async () => {
    const { before, last, witness } = await counterexample(p, "no-heal-first")
    const [t, from, to, w] = parse(witness, /^table (\d)'s head goes from (\d+) to (\d+), which lacks live writer (\d)'s data$/)
    expect([before.heads[t! - 1], last.heads[t! - 1]]).toEqual([from, to])
    expect(LIVE).toContain(before.writer[w! - 1].phase)
    expect([holdsData(before, t!, from!, w!), holdsData(last, t!, to!, w!)]).toEqual([true, false])
  })

  it("NoCommittedDataLost names the published version that loses an op's data", async () => {
    const { before, last, witness } = await counterexample(p, "blind-sweep-publish", "NoCommittedDataLost")
    const [t, from, to, w] = parse(witness, /^table (\d)'s published version goes from (\d+) to (\d+), which lacks op (\d)'s data$/)
    expect([before.manifest[t! - 1], last.manifest[t! - 1]]).toEqual([from, to])
    expect([holdsData(before, t!, from!, w!), holdsData(last, t!, to!, w!)]).toEqual([true, false])
  })

  // The two audit invariants, mirror images: the op's recorded outcome, and whether the published version holds its data.
  it.each([
    { invariant: "RollForwardReflectsOpData", variant: "restore-reentry", recorded: "rolled forward", outcome: "RolledForward", data: "lacks", holds: false },
    { invariant: "RollBackLeavesNoOpData", variant: "rollback-without-lease", recorded: "rolled back", outcome: "RolledBack", data: "holds", holds: true }
  ])("$invariant names the op recorded $recorded and the published version that $data its data", async ({ invariant, variant, recorded, outcome, data, holds }) => {
    const { before, last, witness } = await counterexample(p, variant, invariant)
    const [w, t, v] = parse(witness, new RegExp(`^op (\\d) is recorded ${recorded}, but table (\\d)'s published version (\\d+) ${data} its data$`))
    expect(last.audit[w! - 1]).toEqual({ rows: before.audit[w! - 1].rows + 1, outcome })
    expect(inSidecar(last, w!, t!)).toBe(true)
    expect(last.manifest[t! - 1]).toBe(v)
    expect(holdsData(last, t!, v!, w!)).toBe(holds)
  })

  it("ConvergeAfterCasLossReflectsOpData names the sweep, its op, and the published version lacking the op's data", async () => {
    const { before, last, witness } = await counterexample(p, "no-heal-first", "ConvergeAfterCasLossReflectsOpData")
    const [sw, w, t, v] = parse(witness, /^sweep (\d) converged on op (\d) after a lost CAS; table (\d)'s published version (\d+) lacks its data$/)
    expect(before.sweep[sw! - 1]).toEqual({ phase: "Classified", op: w, decision: "Forward" })
    expect(last.sweep[sw! - 1].phase).toBe("Converged")
    // The CAS lost: some table of the sidecar is no longer published at its pin, and nothing is written.
    expect([1, 2].some((u) => inSidecar(before, w!, u) && before.manifest[u - 1] !== before.sidecar[w! - 1].expected[u - 1])).toBe(true)
    expect(inSidecar(before, w!, t!)).toBe(true)
    expect(last.manifest).toEqual(before.manifest)
    expect(last.manifest[t! - 1]).toBe(v)
    expect(holdsData(last, t!, v!, w!)).toBe(false)
  })
})

describe("recovery witnesses", () => {
  const p = recovery as Protocol
  const PIN = { WAL: "walPin", snapshot: "snapshotPin", "full-base": "fullBasePin" } as const

  it("PinSafety names the primary whose WAL was recycled past a WAL pin", async () => {
    const { last, witness } = await counterexample(p, "pin-without-recheck")
    const [pr, tail, r, lsn] = parse(witness, /^primary (\d) recycled its WAL through LSN (\d+), past node (\d)'s WAL pin at LSN (\d+)$/)
    expect(last.role[pr! - 1]).toBe("Primary")
    expect(last.tail[pr! - 1]).toBe(tail)
    expect(last.sender[pr! - 1][r! - 1].walPin).toBe(lsn! + 1)
    expect(lsn).toBeLessThan(tail!)
  })

  it("PinSafety names the primary whose snapshot is not the pinned one", async () => {
    const { last, witness } = await counterexample(p, "snapshot-replaced-while-pinned")
    const [pr, snapshot, r, lsn] = parse(witness, /^primary (\d)'s snapshot is at LSN (\d+), not node (\d)'s pinned snapshot at LSN (\d+)$/)
    expect(last.role[pr! - 1]).toBe("Primary")
    expect(last.snapshot[pr! - 1]).toBe(snapshot)
    expect(last.sender[pr! - 1][r! - 1].snapshotPin).toBe(lsn! + 1)
    expect(lsn).not.toBe(snapshot)
  })

  it("NoPinLeak names the sender holding a pin without a session", async () => {
    const { last, witness } = await counterexample(p, "invalidate-drops-plan")
    const m = /^node (\d)'s sender for node (\d) has no session but holds a (WAL|snapshot|full-base) pin at LSN (\d+)$/.exec(witness)
    expect(m, witness).not.toBeNull()
    const sender = last.sender[Number(m![1]) - 1][Number(m![2]) - 1]
    expect(sender.phase).toBe("None")
    expect(sender[PIN[m![3] as keyof typeof PIN]]).toBe(Number(m![4]) + 1)
  })

  /** The current primary p holds r in sync. */
  const inSync = (s: Decoded, pr: number, r: number) => {
    expect([s.role[pr - 1], s.master.primary, s.epoch[pr - 1]]).toEqual(["Primary", pr, s.master.epoch])
    expect(s.sender[pr - 1][r - 1].view).toBe("InSync")
  }

  it("InSyncMeansSameHistory names the entry where an in-sync replica departs from the primary", async () => {
    const { last, witness } = await counterexample(p, "lsn-only-handshake")
    const [r, pr, k, mine, theirs] = parse(witness, /^node (\d), in sync with primary (\d), has LSN (\d) from epoch (\d), the primary's from epoch (\d)$/)
    inSync(last, pr!, r!)
    expect([last.log[r! - 1][k! - 1], last.log[pr! - 1][k! - 1]]).toEqual([mine, theirs])
    expect(mine).not.toBe(theirs)
  })

  it("InSyncMeansSameHistory names an in-sync replica that lacks committed entries", async () => {
    const { last, witness } = await counterexample(p, "frozen-catch-up-target")
    const [r, pr, end, committed] = parse(witness, /^node (\d), in sync with primary (\d), ends at LSN (\d+), below the primary's committed LSN (\d+)$/)
    inSync(last, pr!, r!)
    expect([last.log[r! - 1].length, last.committed[pr! - 1]]).toEqual([end, committed])
    expect(end).toBeLessThan(committed!)
  })

  it("InSyncMeansSameHistory names an in-sync replica with entries the primary lacks", async () => {
    const { last, witness } = await counterexample(p, "bookkeeping-truncation")
    const [r, pr, end, primaryEnd] = parse(witness, /^node (\d), in sync with primary (\d), ends at LSN (\d+), past the primary's end at LSN (\d+)$/)
    inSync(last, pr!, r!)
    expect([last.log[r! - 1].length, last.log[pr! - 1].length]).toEqual([end, primaryEnd])
    expect(end).toBeGreaterThan(primaryEnd!)
  })

  it("TruncateNeverBelowCommitted names the committed entry a truncation removes", async () => {
    const { before, last, witness } = await counterexample(p, "truncate-to-planned-lsn", undefined, { replicas: 2 })
    const [r, k, e, pr, committed] = parse(witness, /^truncating node (\d) removes LSN (\d) \(epoch (\d)\), committed by primary (\d) \(up to LSN (\d)\)$/)
    expect([before.sender[pr! - 1][r! - 1].phase, last.sender[pr! - 1][r! - 1].phase]).toEqual(["TruncatePlanned", "Truncated"])
    expect([before.log[r! - 1][k! - 1], before.log[pr! - 1][k! - 1], before.committed[pr! - 1]]).toEqual([e, e, committed])
    expect(k).toBeLessThanOrEqual(committed!)
    expect(last.log[r! - 1][k! - 1]).not.toBe(e)
  })

  it("StaleEpochNeverCompletes names the session, the epoch it was opened in and its primary's newer one", async () => {
    const { before, last, witness } = await counterexample(p, "complete-after-epoch-change")
    const [pr, r, opened, now] = parse(witness, /^node (\d)'s session for node (\d), opened in epoch (\d), completes after node \1 moved to epoch (\d)$/)
    expect(before.sender[pr! - 1][r! - 1]).toMatchObject({ epoch: opened })
    expect(before.sender[pr! - 1][r! - 1].phase).not.toBe("None")
    expect(last.sender[pr! - 1][r! - 1]).toMatchObject({ phase: "None", view: "InSync" })
    expect(last.epoch[pr! - 1]).toBe(now)
    expect(now).not.toBe(opened)
  })

  it("FailClosed names the failed plan and the pin it still holds", async () => {
    const { model, v, ctx, before, last, witness } = await counterexample(p, "snapshot-pin-leak", "FailClosed")
    const m = /^node (\d)'s failed plan for node (\d) still holds a (WAL|snapshot|full-base) pin at LSN (\d+)$/.exec(witness)
    expect(m, witness).not.toBeNull()
    const [pr, r] = [Number(m![1]), Number(m![2])]
    expect(["Planned", "RebuildAssigned", "SnapshotPinned"]).toContain(before.sender[pr - 1][r - 1].phase)
    expect(last.sender[pr - 1][r - 1].phase).toBe("None")
    expect(last.sender[pr - 1][r - 1][PIN[m![3] as keyof typeof PIN]]).toBe(Number(m![4]) + 1)
    expect(renderTrace(model, v.trace, ctx)).toMatch(/\nViolated: FailClosed\n {2}because node \d's failed plan for node \d still holds a .* pin at LSN \d+\n$/)
  })
})
