/**
 * Random simulation with invariants (TLC's -simulate, Quint's `run`, Stateright's
 * `spawn_simulation`): seeded random walks from an initial state, checking every invariant on
 * every successor generated along the way (as TLC's simulator does), for models too large to
 * exhaust. Run i (from 0) is walked with the seed `seed + i`, so a run is reproduced alone with
 * `--seed (seed + i) --runs 1`, and the result does not depend on how runs are scheduled.
 *
 * A violation ends the simulation: its walk is kept, then shortened (blocks of steps dropped,
 * halving their size down to one step, while the rest still replays, action by action, to a state
 * that breaks the same invariant).
 * Successors outside the state constraint are checked but never walked into; a walk ends at its
 * depth, or where nothing inside the constraint is enabled (a deadlock, if `deadlock` is set).
 *
 * Plain code, no Effect: a step costs microseconds.
 */
import type { Model, StateInvariant, StepInvariant } from "./model.js"
import type { TraceStep } from "./path.js"
import { prng } from "../trace/prng.js"

export interface SimulationOptions {
  readonly runs: number
  /** The most steps a walk takes. */
  readonly depth: number
  readonly seed: number
  readonly stateInvariants: readonly StateInvariant[]
  readonly stepInvariants: readonly StepInvariant[]
  /** A walk that ends where no successor is enabled is a violation. */
  readonly deadlock: boolean
  /** Called about once a second with the runs done and steps taken. */
  readonly onProgress?: (p: { readonly runs: number; readonly steps: number; readonly seconds: number }) => void
}

export interface SimulationViolation {
  readonly invariant: string
  readonly kind: "state" | "step" | "deadlock"
  /** The run (from 0) and the seed that walks it alone. */
  readonly run: number
  readonly seed: number
  /** The walk as it happened, initial state first, ending at the violating state. */
  readonly trace: readonly TraceStep[]
  /** The same violation reached in fewer steps (the walk itself when no step can be dropped). */
  readonly shortened: readonly TraceStep[]
}

export interface SimulationResult {
  /** Runs walked (all of them, or up to and including the violating one). */
  readonly runs: number
  /** Steps taken over all walks. */
  readonly steps: number
  /** Successor states generated (and checked). */
  readonly generated: number
  /** The longest walk, in steps. */
  readonly longest: number
  /** Walks that ended before their depth (nothing inside the constraint was enabled). */
  readonly endedEarly: number
  readonly seconds: number
  /** Steps taken per action, in the model's action order. */
  readonly coverage: ReadonlyArray<{ readonly action: string; readonly count: number }>
  readonly violation: SimulationViolation | null
}

/** A successor as generated: its bytes, its action family and raw arguments (described only when walked). */
interface Raw {
  readonly state: Uint8Array
  readonly family: number
  readonly args: number[]
}

/** Every successor of a state, in the model's order, without describing their arguments. */
function expand(model: Model, state: Uint8Array): Raw[] {
  const out: Raw[] = []
  const scratch = new Uint8Array(model.widthBytes)
  let family = 0
  const sink = {
    next: () => (scratch.set(state), scratch),
    emit: (a?: number, b?: number, c?: number, d?: number) => {
      out.push({ state: scratch.slice(), family, args: [a, b, c, d].filter((x): x is number => x !== undefined) })
    }
  }
  const src = state.slice()
  state = src
  model.families.forEach((f, k) => {
    family = k
    f.expand(src, sink)
  })
  return out
}

const described = (model: Model, r: Raw): TraceStep => {
  const f = model.families[r.family]!
  return { state: r.state, action: { name: f.name, args: f.describe(r.args) } }
}

/** One enabled step: an action uniformly among those enabled, then one of its instances. */
function pick(enabled: readonly Raw[], random: () => number): Raw {
  const families = [...new Set(enabled.map((s) => s.family))]
  const family = families[Math.floor(random() * families.length)]!
  const instances = enabled.filter((s) => s.family === family)
  return instances[Math.floor(random() * instances.length)]!
}

type Broken = { readonly invariant: string; readonly kind: "state" | "step" } | null

function broken(options: Pick<SimulationOptions, "stateInvariants" | "stepInvariants">, before: Uint8Array | null, after: Uint8Array): Broken {
  for (const inv of options.stateInvariants) if (!inv.holds(after)) return { invariant: inv.name, kind: "state" }
  if (before !== null) for (const inv of options.stepInvariants) if (!inv.holds(before, after)) return { invariant: inv.name, kind: "step" }
  return null
}

export function simulate(model: Model, options: SimulationOptions): SimulationResult {
  const started = performance.now()
  const counts = new Map<string, number>(model.families.map((f) => [f.name, 0]))
  const initial = model.initialStates()
  let steps = 0
  let generated = 0
  let longest = 0
  let endedEarly = 0
  let lastProgress = started
  for (let run = 0; run < options.runs; run++) {
    const seed = (options.seed + run) >>> 0
    const random = prng(seed)
    const first = initial[Math.floor(random() * initial.length)]!
    const trace: TraceStep[] = [{ state: first }]
    /** The walk's steps as generated (family and raw arguments), for the shortening's replays. */
    const raws: Raw[] = []
    const violation = (b: NonNullable<Broken> | { readonly invariant: string; readonly kind: "deadlock" }): SimulationResult => ({
      runs: run + 1,
      steps,
      generated,
      longest: Math.max(longest, trace.length - 1),
      endedEarly,
      seconds: (performance.now() - started) / 1000,
      coverage: [...counts].map(([action, count]) => ({ action, count })),
      violation: { ...b, run, seed, trace, shortened: shorten(model, options, first, raws, b) }
    })
    const atStart = broken(options, null, first)
    if (atStart) return violation(atStart)
    let state = first
    for (let depth = 0; depth < options.depth; depth++) {
      const successors = expand(model, state)
      generated += successors.length
      for (const s of successors) {
        const b = broken(options, state, s.state)
        if (b) {
          trace.push(described(model, s))
          raws.push(s)
          return violation(b)
        }
      }
      const inside = successors.filter((s) => model.constraint(s.state))
      if (inside.length === 0) {
        endedEarly++
        if (options.deadlock && successors.length === 0) return violation({ invariant: "deadlock", kind: "deadlock" })
        break
      }
      const raw = pick(inside, random)
      const chosen = described(model, raw)
      trace.push(chosen)
      raws.push(raw)
      counts.set(chosen.action!.name, counts.get(chosen.action!.name)! + 1)
      steps++
      state = chosen.state
    }
    longest = Math.max(longest, trace.length - 1)
    const now = performance.now()
    if (options.onProgress && now - lastProgress >= 1000) {
      lastProgress = now
      options.onProgress({ runs: run + 1, steps, seconds: (now - started) / 1000 })
    }
  }
  return {
    runs: options.runs,
    steps,
    generated,
    longest,
    endedEarly,
    seconds: (performance.now() - started) / 1000,
    coverage: [...counts].map(([action, count]) => ({ action, count })),
    violation: null
  }
}

const sameStep = (a: Raw, b: Raw) => a.family === b.family && a.args.length === b.args.length && a.args.every((x, k) => x === b.args[k])

/**
 * Replays a walk's steps from its initial state, each matched by action and raw arguments among
 * the successors of the state before it; the steps up to the first state that breaks `target`, or
 * null if a step is not enabled where it comes, leaves the constraint, or nothing breaks it.
 */
function replay(model: Model, options: Pick<SimulationOptions, "stateInvariants" | "stepInvariants">, first: Uint8Array, steps: readonly Raw[], target: { readonly invariant: string }): Raw[] | null {
  const out: Raw[] = []
  let state = first
  for (const step of steps) {
    const next = expand(model, state).find((s) => sameStep(s, step))
    if (next === undefined) return null
    out.push(next)
    const b = broken(options, state, next.state)
    if (b !== null) return b.invariant === target.invariant ? out : null
    if (!model.constraint(next.state)) return null
    state = next.state
  }
  return null
}

/**
 * Drops blocks of steps while the rest still reaches the same violation: blocks of half the walk,
 * then a quarter, and so on down to single steps, each size until no block of it can go.
 */
function shorten(model: Model, options: SimulationOptions, first: Uint8Array, walk: readonly Raw[], b: { readonly invariant: string; readonly kind: string }): TraceStep[] {
  let best = [...walk]
  if (b.kind !== "deadlock") {
    for (let size = Math.max(1, Math.floor(best.length / 2)); size >= 1; size = Math.floor(size / 2)) {
      for (let changed = true; changed; ) {
        changed = false
        for (let k = best.length - size; k >= 0; k--) {
          const steps = [...best]
          steps.splice(k, size)
          const shorter = replay(model, options, first, steps, b)
          if (shorter !== null && shorter.length < best.length) {
            best = shorter
            changed = true
            k = Math.min(k, best.length - size + 1)
          }
        }
      }
    }
  }
  return [{ state: first }, ...best.map((r) => described(model, r))]
}
