/**
 * Two-phase commit (Gray and Lamport, "Consensus on Transaction Commit"), as in Stateright's
 * examples/2pc.rs and TLA+'s TwoPhase.tla: resource managers prepare or abort; the transaction
 * manager collects Prepared messages and decides; everyone learns the decision from the network.
 */
import { bool, defineProtocol, defineState, global, nodes, nodeSet, oneOf, perNode } from "replcheck/kit"

const RmState = oneOf("working", "prepared", "committed", "aborted")
const TmState = oneOf("init", "committed", "aborted")

const State = defineState(() => ({
  rmState: perNode(RmState),
  tmState: global(TmState),
  tmPrepared: global(nodeSet),
  // The network: the messages sent so far (never lost, never removed).
  preparedMsgs: global(nodeSet),
  commitMsg: global(bool),
  abortMsg: global(bool)
}))

interface Rules {
  /** May a prepared resource manager still change its mind and abort? */
  readonly abortAfterPrepare: boolean
}

const actions = (_bounds: unknown, rules: Rules) => [
  State.action("TmRcvPrepared")
    .exists("rm", nodes)
    .require((s, a) => s.tmState === TmState.init && s.preparedMsgs.has(a.rm), "no-prepared", "the manager has no Prepared message from {rm}")
    .then((t, a) => t.tmPrepared.add(a.rm)),
  State.action("TmCommit")
    .require((s) => s.tmState === TmState.init, "decided", "the manager has decided")
    .require((s) => s.tmPrepared.size === s.nodeCount, "not-all-prepared", "not every resource manager has prepared")
    .then((t) => {
      t.tmState = TmState.committed
      t.commitMsg = true
    }),
  State.action("TmAbort")
    .require((s) => s.tmState === TmState.init, "decided", "the manager has decided")
    .then((t) => {
      t.tmState = TmState.aborted
      t.abortMsg = true
    }),
  State.action("RmPrepare")
    .exists("rm", nodes)
    .require((s, a) => s.rmState(a.rm) === RmState.working, "not-working", "resource manager {rm} is not working")
    .then((t, a) => {
      t.setRmState(a.rm, RmState.prepared)
      t.preparedMsgs.add(a.rm)
    }),
  State.action("RmChooseToAbort")
    .exists("rm", nodes)
    .require(
      (s, a) => s.rmState(a.rm) === RmState.working || (rules.abortAfterPrepare && s.rmState(a.rm) === RmState.prepared),
      "not-working",
      "resource manager {rm} is not working"
    )
    .then((t, a) => t.setRmState(a.rm, RmState.aborted)),
  State.action("RmRcvCommitMsg")
    .exists("rm", nodes)
    .require((s) => s.commitMsg, "no-commit", "no Commit message was sent")
    .then((t, a) => t.setRmState(a.rm, RmState.committed)),
  State.action("RmRcvAbortMsg")
    .exists("rm", nodes)
    .require((s) => s.abortMsg, "no-abort", "no Abort message was sent")
    .then((t, a) => t.setRmState(a.rm, RmState.aborted))
]

export default defineProtocol({
  name: "two-phase-commit",
  summary: "two-phase commit: resource managers, a transaction manager and a network of messages",
  bounds: { rms: { default: 3, min: 1, max: 8, description: "number of resource managers" } },
  nodes: (b) => b.rms,
  state: State,
  rules: { abortAfterPrepare: false } as Rules,
  actions,
  invariants: () => [
    State.invariant("Consistent", "no resource manager has aborted while another has committed", (s) => {
      let aborted = false
      let committed = false
      for (let rm = 1; rm <= s.nodeCount; rm++) {
        aborted ||= s.rmState(rm) === RmState.aborted
        committed ||= s.rmState(rm) === RmState.committed
      }
      return !(aborted && committed)
    })
  ],
  variants: [{ name: "abort-after-prepare", summary: "a prepared resource manager may still abort on its own", rules: (r) => ({ ...r, abortAfterPrepare: true }) }],
  symmetry: true,
  // What `replcheck verdicts` checks. The distinct counts are Stateright's (its 2pc test pins 288 and 8,832).
  manifest: {
    protocol: "two-phase-commit",
    runs: [
      { name: "base", result: "success", generated: 1146, distinct: 288, depth: 11 },
      { name: "five", config: { rms: 5 }, result: "success", distinct: 8832 },
      { name: "five-symmetric", config: { rms: 5 }, symmetry: true, result: "success", distinct: 314 },
      { name: "abort-after-prepare", variant: "abort-after-prepare", result: "violation", violated: "Consistent", traceLength: 10 }
    ]
  }
})
