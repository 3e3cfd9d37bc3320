/**
 * The worked example of TLC's counting rules: x starts at 0 and grows by 1 or 2 under the
 * constraint x <= limit. Variant `witness` grows by 1 under `\E y \in {1, 2}`, so each witness is
 * its own successor (TLC reports 9 generated, 4 distinct, depth 4 at limit 3). Pins the count semantics.
 */
import { between, defineProtocol, defineState, global, uint } from "../../kit/index.js"

const State = defineState(() => ({ x: global(uint(255)) }))

const add = (step: number) => State.action(`Add${step}`).then((t, _a, s) => void (t.x = s.x + step))
const increment = State.action("Increment")
  .exists("y", between(1, 2))
  .then((t, _a, s) => void (t.x = s.x + 1))

export default defineProtocol({
  name: "counter",
  summary: "the worked example of TLC's counts (x grows by 1 or 2 up to a limit)",
  bounds: { limit: { default: 3, min: 0, max: 250, description: "state constraint: x <= limit" } },
  state: State,
  actions: () => [add(1), add(2)],
  constraint: (s, b) => s.x <= b.limit,
  invariants: () => [State.invariant("XNeverFour", "x # 4", (s) => s.x !== 4)],
  base: "x' = x + 1 \\/ x' = x + 2",
  variants: [{ name: "witness", summary: "\\E y \\in {1, 2} : x' = x + 1", actions: () => [increment] }],
  // The counts are derived by hand (test/engine/counts.test.ts says how); TLC 2.20 reports the same.
  manifest: {
    protocol: "counter",
    runs: [
      { name: "base", result: "violation", violated: "XNeverFour", traceLength: 3 },
      { name: "base-no-invariant", invariants: [], result: "success", generated: 9, distinct: 4, depth: 3 },
      { name: "witness", variant: "witness", invariants: [], result: "success", generated: 9, distinct: 4, depth: 4 }
    ]
  }
})
