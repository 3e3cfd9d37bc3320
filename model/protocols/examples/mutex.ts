/**
 * A lock-based mutual exclusion of N processes (idle -> waiting -> critical -> idle), small
 * enough that its counts are derived by hand in the tests. Variants break each property:
 * `no-lock` (Enter ignores the lock) breaks MutualExclusion; `exit-keeps-lock` (Exit leaves the
 * lock held) breaks the step invariant ExitReleasesLock and deadlocks.
 */
import { BASE_VARIANT, type Model, type Successors } from "../../engine/model.js"

const IDLE = 0
const WAITING = 1
const CRITICAL = 2
export const PC = ["idle", "waiting", "critical"] as const

export interface MutexState {
  readonly pc: ReadonlyArray<(typeof PC)[number]>
  readonly lock: boolean
}

export const mutexVariants = [
  { name: BASE_VARIANT, summary: "Enter needs the lock; Exit releases it" },
  { name: "no-lock", summary: "Enter ignores the lock" },
  { name: "exit-keeps-lock", summary: "Exit leaves the lock held" }
]

export function buildMutex(cfg: { processes: number }, variant: string): Model<MutexState> {
  if (!mutexVariants.some((v) => v.name === variant)) throw new RangeError(`mutex has no variant ${variant}`)
  const n = cfg.processes
  const lock = n
  const ignoreLock = variant === "no-lock"
  const keepLock = variant === "exit-keeps-lock"
  const step = (name: string, from: number, to: number, guard: (s: Uint8Array) => boolean, lockAfter: number | null) => ({
    name,
    params: ["i"],
    expand(s: Uint8Array, out: Successors) {
      for (let i = 0; i < n; i++) {
        if (s[i] !== from || !guard(s)) continue
        const t = out.next()
        t[i] = to
        if (lockAfter !== null) t[lock] = lockAfter
        out.emit(i + 1)
      }
    },
    describe: (a: readonly number[]) => ({ i: a[0] })
  })
  return {
    protocol: "mutex",
    variant,
    widthBytes: Math.ceil((n + 1) / 4) * 4,
    families: [
      step("Request", IDLE, WAITING, () => true, null),
      step("Enter", WAITING, CRITICAL, (s) => ignoreLock || s[lock] === 0, 1),
      step("Exit", CRITICAL, IDLE, () => true, keepLock ? 1 : 0)
    ],
    stateInvariants: [
      {
        name: "MutualExclusion",
        description: "at most one process is critical",
        holds: (s) => {
          let c = 0
          for (let i = 0; i < n; i++) if (s[i] === CRITICAL) c++
          return c <= 1
        }
      }
    ],
    stepInvariants: [
      {
        name: "ExitReleasesLock",
        description: "a step in which a process leaves its critical section releases the lock",
        holds: (before, after) => {
          for (let i = 0; i < n; i++) if (before[i] === CRITICAL && after[i] === IDLE && after[lock] !== 0) return false
          return true
        }
      }
    ],
    initialStates: () => [new Uint8Array(Math.ceil((n + 1) / 4) * 4)],
    constraint: () => true,
    canonicalize: (src, dst) => {
      dst.set(src)
      dst.subarray(0, n).sort()
    },
    codec: {
      nodeVariables: ["pc"],
      decode: (s) => ({ pc: Array.from(s.subarray(0, n), (v) => PC[v]!), lock: s[lock] !== 0 }),
      encode: (state, into) => {
        if (state.pc.length !== n) throw new RangeError(`pc has ${state.pc.length} processes, expected ${n}`)
        state.pc.forEach((p, i) => (into[i] = PC.indexOf(p)))
        into[lock] = state.lock ? 1 : 0
      }
    }
  }
}
