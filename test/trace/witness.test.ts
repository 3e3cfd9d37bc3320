/**
 * Counterexamples that point: an invariant may say what makes it false (its witness), and the text
 * counterexample and `check` name it under the violation. Each witness is checked against the
 * counterexample's last state, not against its own wording alone.
 */
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { decodeConfig } from "../../model/engine/config.js"
import { explore, localDriver, type ExploreOptions } from "../../model/engine/explorer.js"
import { defineProtocol, defineState, global, uint, type Protocol } from "../../model/kit/index.js"
import cdc from "../../model/protocols/cdc/index.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import { renderTrace, witnessOf } from "../../model/trace/counterexample.js"

const Counter = defineState(() => ({ x: global(uint(9)) }))
/** x counts up, and an invariant without a witness says it stays below 2. */
const noWitness = defineProtocol({
  name: "no-witness",
  summary: "x counts up to 3",
  bounds: {},
  state: Counter,
  actions: () => [Counter.action("Up").then((t, _a, s) => void (t.x = s.x + 1))],
  constraint: (s) => s.x <= 3,
  invariants: () => [Counter.invariant("Small", "x stays below 2", (s) => s.x < 2)]
})

const options: ExploreOptions = { workers: 1, symmetry: false, deadlock: false }
async function counterexample(protocol: Protocol, variant: string, config: Record<string, number> = {}) {
  const full = decodeConfig(protocol.bounds, config)
  if (Either.isLeft(full)) throw new Error(full.left)
  const model = protocol.build(full.right, variant)
  const r = await explore(model, options, localDriver(model, options))
  const v = r.violation!
  const ctx = { protocol: protocol.name, variant, config: full.right, invariant: v.invariant, kind: v.kind }
  const last = model.codec.decode(v.trace[v.trace.length - 1]!.state) as Record<string, unknown[]>
  return { model, v, ctx, last, witness: witnessOf(model, v.trace, ctx) }
}

describe("invariant witnesses", () => {
  it("NoTwoPrimariesInSameTerm names two servers that lead in the same term", async () => {
    const { model, v, ctx, last, witness } = await counterexample(raftmongo as Protocol, "elect-without-majority")
    const m = /^servers (\d) and (\d) are both Leader in term (\d+)$/.exec(witness ?? "")
    expect(m).not.toBeNull()
    const [i, j, term] = [Number(m![1]), Number(m![2]), Number(m![3])]
    expect(i).not.toBe(j)
    for (const k of [i, j]) expect({ state: last["state"]![k - 1], term: last["currentTerm"]![k - 1] }).toEqual({ state: "Leader", term })
    expect(renderTrace(model, v.trace, ctx)).toMatch(/\nViolated: NoTwoPrimariesInSameTerm\n {2}because servers \d and \d are both Leader in term \d+\n$/)
  })

  it("NoMissedMutation names the key's latest mutation on the active and what the sink holds instead", async () => {
    const { last, witness } = await counterexample(cdc as Protocol, "checkpoint-before-apply")
    const m = /^caught up at seqno (\d+), the active \(copy (\d)\) holds key (\d) at seqno (\d) on branch (\d) as key \3's latest, but the sink holds (.*)$/.exec(witness ?? "")
    expect(m, witness ?? "no witness").not.toBeNull()
    const [copy, key, seqno, branch] = [2, 3, 4, 5].map((k) => Number(m![k]))
    expect((last["stored"]![copy! - 1] as Array<{ key: number; branch: number }>)[seqno! - 1]).toEqual({ key, branch })
    expect((last["sink"] as unknown as Array<{ key: number; branch: number }>)[seqno! - 1]).not.toEqual({ key, branch })
  })

  it("NoPhantomMutation names the sink's mutation the active does not hold", async () => {
    const { last, witness } = await counterexample(cdc as Protocol, "resume-ignoring-vbuuid", { maxSeqno: 3 })
    const m = /^the sink's latest mutation of key (\d) is key \1 at seqno (\d) on branch (\d), but the active copy (\d) (.*)$/.exec(witness ?? "")
    expect(m, witness ?? "no witness").not.toBeNull()
    const [key, seqno, branch, copy] = [1, 2, 3, 4].map((k) => Number(m![k]))
    expect((last["sink"] as unknown as Array<{ key: number; branch: number }>)[seqno! - 1]).toEqual({ key, branch })
    expect((last["stored"]![copy! - 1] as Array<{ key: number; branch: number }>)[seqno! - 1]).not.toEqual({ key, branch })
  })

  it("an invariant that gives no witness adds no line", async () => {
    // A protocol of its own: the built-in invariants may each gain a witness.
    const { model, v, ctx, witness } = await counterexample(noWitness as Protocol, "base")
    expect(witness).toBeNull()
    expect(renderTrace(model, v.trace, ctx)).toMatch(/\nViolated: Small\n$/)
  })
})
