/**
 * A lock-based mutual exclusion of N processes (idle -> waiting -> critical -> idle), small
 * enough that its counts are derived by hand in the tests. Variants break each property:
 * `no-lock` (Enter ignores the lock) breaks MutualExclusion; `exit-keeps-lock` (Exit leaves the
 * lock held) breaks the step invariant ExitReleasesLock and deadlocks.
 */
import { bool, defineProtocol, defineState, global, nodes, oneOf, perNode } from "../../kit/index.js"

const Pc = oneOf("idle", "waiting", "critical")

const State = defineState(() => ({
  pc: perNode(Pc),
  lock: global(bool)
}))

interface Rules {
  /** Enter ignores the lock. */
  readonly ignoreLock: boolean
  /** Exit leaves the lock held. */
  readonly keepLock: boolean
  /** Enter(i) is strongly fair (taken if enabled infinitely often); else only weakly. */
  readonly strongEnter: boolean
}

const actions = (_b: unknown, r: Rules) => [
  State.action("Request")
    .exists("i", nodes)
    .require((s, a) => s.pc(a.i) === Pc.idle, "not-idle", "process {i} is not idle")
    .then((t, a) => t.setPc(a.i, Pc.waiting)),
  State.action("Enter")
    .exists("i", nodes)
    .require((s, a) => s.pc(a.i) === Pc.waiting, "not-waiting", "process {i} is not waiting")
    .require((s) => r.ignoreLock || !s.lock, "lock-held", "the lock is held")
    .then((t, a) => {
      t.setPc(a.i, Pc.critical)
      t.lock = true
    }),
  State.action("Exit")
    .exists("i", nodes)
    .require((s, a) => s.pc(a.i) === Pc.critical, "not-critical", "process {i} is not critical")
    .then((t, a) => {
      t.setPc(a.i, Pc.idle)
      t.lock = r.keepLock
    })
]

export default defineProtocol({
  name: "mutex",
  summary: "a lock-based mutual exclusion of N processes (a small example with hand-derived counts)",
  bounds: { processes: { default: 2, min: 1, max: 6, description: "number of processes" } },
  nodes: (b) => b.processes,
  state: State,
  rules: { ignoreLock: false, keepLock: false, strongEnter: true } as Rules,
  actions,
  invariants: (b) => [
    State.invariant("MutualExclusion", "at most one process is critical", (s) => {
      let critical = 0
      for (let i = 1; i <= b.processes; i++) if (s.pc(i) === Pc.critical) critical++
      return critical <= 1
    }),
    State.stepInvariant("ExitReleasesLock", "a step in which a process leaves its critical section releases the lock", (before, after) => {
      for (let i = 1; i <= b.processes; i++) if (before.pc(i) === Pc.critical && after.pc(i) === Pc.idle && after.lock) return false
      return true
    })
  ],
  // Starvation freedom: a lock that others may keep taking needs strong fairness of Enter(i); weak
  // fairness is not enough, since the lock is free only now and then (variant weak-enter).
  liveness: () => [
    State.leadsToEach(
      "WaitingEntersCritical",
      "a waiting process eventually enters its critical section",
      (s, i) => s.pc(i) === Pc.waiting,
      (s, i) => s.pc(i) === Pc.critical
    )
  ],
  fairness: (_b, r) => (r.strongEnter ? { weak: ["Exit(i)"], strong: ["Enter(i)"] } : { weak: ["Exit(i)", "Enter(i)"] }),
  base: "Enter needs the lock; Exit releases it; fairness: SF(Enter(i)), WF(Exit(i))",
  variants: [
    { name: "no-lock", summary: "Enter ignores the lock", rules: (r) => ({ ...r, ignoreLock: true }) },
    { name: "exit-keeps-lock", summary: "Exit leaves the lock held", rules: (r) => ({ ...r, keepLock: true }) },
    { name: "weak-enter", summary: "Enter(i) only weakly fair", rules: (r) => ({ ...r, strongEnter: false }) }
  ],
  symmetry: true,
  // The counts are derived by hand (test/engine/counts.test.ts says how).
  manifest: {
    protocol: "mutex",
    runs: [
      { name: "base", result: "success", generated: 15, distinct: 8, depth: 4 },
      { name: "base-symmetric", symmetry: true, result: "success", generated: 10, distinct: 5, depth: 4 },
      { name: "no-lock", variant: "no-lock", result: "violation", violated: "MutualExclusion", traceLength: 5 },
      { name: "exit-keeps-lock", variant: "exit-keeps-lock", result: "violation", violated: "ExitReleasesLock", traceLength: 4 },
      // Liveness under the fairness (SF(Enter(i)), WF(Exit(i)); weak-enter: WF(Enter(i))). TLC on
      // spec/examples/Mutex.tla at N = 3 (2026-12-04): 20 distinct states, Spec satisfies
      // WaitingEntersCritical, SpecWeakEnter violates it.
      {
        name: "liveness",
        config: { processes: 3 },
        liveness: ["WaitingEntersCritical"],
        result: "success",
        distinct: 20,
        tlc: { distinct: 20, result: "success", spec: "spec/examples/MCMutex.cfg" }
      },
      {
        name: "liveness-weak-enter",
        variant: "weak-enter",
        config: { processes: 3 },
        liveness: ["WaitingEntersCritical"],
        result: "violation",
        violated: "WaitingEntersCritical",
        distinct: 20,
        tlc: { distinct: 20, result: "violation", spec: "spec/examples/MCMutexWeakEnter.cfg" }
      },
      // The lasso by hand: Request(1), Request(2), Enter(2), Exit(2) keeping the lock, then
      // stuttering (5 states): nothing fair is enabled, and process 1 waits for ever.
      { name: "liveness-exit-keeps-lock", variant: "exit-keeps-lock", liveness: ["WaitingEntersCritical"], result: "violation", violated: "WaitingEntersCritical", traceLength: 5 }
    ]
  }
})
