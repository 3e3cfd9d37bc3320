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

/** What walking a block of runs found: its statistics (up to and including a violating run) and the violation. */
export interface ChunkResult {
  /** Runs walked: all of the block's, or up to and including the violating one. */
  readonly runs: number
  readonly steps: number
  readonly generated: number
  readonly longest: number
  readonly endedEarly: number
  /** Steps taken per action family, in the model's order. */
  readonly coverage: number[]
  readonly violation: { readonly run: number; readonly invariant: string; readonly kind: "state" | "step" | "deadlock" } | null
}

export type WalkOptions = Omit<SimulationOptions, "runs" | "onProgress">

interface Walk {
  readonly first: Uint8Array
  /** The steps as generated (family and raw arguments), the last one the violating successor if any. */
  readonly steps: Raw[]
  readonly broken: NonNullable<Broken> | { readonly invariant: string; readonly kind: "deadlock" } | null
  readonly generated: number
  readonly endedEarly: boolean
}

/** Walks run `run`: from the initial state its seed picks, up to `depth` steps or the first broken invariant. */
function walk(model: Model, options: WalkOptions, initial: readonly Uint8Array[], run: number): Walk {
  const random = prng((options.seed + run) >>> 0)
  const first = initial[Math.floor(random() * initial.length)]!
  const steps: Raw[] = []
  let generated = 0
  const atStart = broken(options, null, first)
  if (atStart) return { first, steps, broken: atStart, generated, endedEarly: false }
  let state = first
  for (let depth = 0; depth < options.depth; depth++) {
    const successors = expand(model, state)
    generated += successors.length
    for (const s of successors) {
      const b = broken(options, state, s.state)
      if (b) return { first, steps: [...steps, s], broken: b, generated, endedEarly: false }
    }
    const inside = successors.filter((s) => model.constraint(s.state))
    if (inside.length === 0) {
      const deadlock = options.deadlock && successors.length === 0 ? ({ invariant: "deadlock", kind: "deadlock" } as const) : null
      return { first, steps, broken: deadlock, generated, endedEarly: true }
    }
    const chosen = pick(inside, random)
    steps.push(chosen)
    state = chosen.state
  }
  return { first, steps, broken: null, generated, endedEarly: false }
}

/**
 * Walks runs first .. first + count - 1 in order, stopping at the first that breaks an invariant
 * (what parallel workers run, a block at a time, and the sequential simulation in one block).
 */
export function walkRuns(model: Model, options: WalkOptions, first: number, count: number, afterRun?: (runs: number, steps: number) => void): ChunkResult {
  const initial = model.initialStates()
  const coverage = model.families.map(() => 0)
  let steps = 0
  let generated = 0
  let longest = 0
  let endedEarly = 0
  for (let run = first; run < first + count; run++) {
    const w = walk(model, options, initial, run)
    // A violating successor is checked, not taken: it is no step of the walk's statistics.
    const taken = w.broken !== null && w.broken.kind !== "deadlock" && w.steps.length > 0 ? w.steps.slice(0, -1) : w.steps
    for (const r of taken) coverage[r.family]!++
    steps += taken.length
    generated += w.generated
    longest = Math.max(longest, taken.length)
    if (w.endedEarly) endedEarly++
    if (w.broken !== null) return { runs: run - first + 1, steps, generated, longest, endedEarly, coverage, violation: { run, ...w.broken } }
    afterRun?.(run - first + 1, steps)
  }
  return { runs: count, steps, generated, longest, endedEarly, coverage, violation: null }
}

/** The violating run walked again, as it happened and shortened. */
export function violationOf(model: Model, options: WalkOptions, run: number): SimulationViolation {
  const w = walk(model, options, model.initialStates(), run)
  if (w.broken === null) throw new Error(`run ${run} broke no invariant when walked again: the model is not deterministic`)
  return {
    ...w.broken,
    run,
    seed: (options.seed + run) >>> 0,
    trace: [{ state: w.first }, ...w.steps.map((r) => described(model, r))],
    shortened: shorten(model, options, w.first, w.steps, w.broken)
  }
}

/** Adds block results in run order, up to the first violating run: the same totals for any split of the runs into blocks. */
export function combine(model: Model, blocks: readonly ChunkResult[], seconds: number, options: WalkOptions): SimulationResult {
  const coverage = model.families.map(() => 0)
  let runs = 0
  let steps = 0
  let generated = 0
  let longest = 0
  let endedEarly = 0
  let violation: SimulationViolation | null = null
  for (const b of blocks) {
    runs += b.runs
    steps += b.steps
    generated += b.generated
    longest = Math.max(longest, b.longest)
    endedEarly += b.endedEarly
    b.coverage.forEach((c, k) => (coverage[k]! += c))
    if (b.violation !== null) {
      violation = violationOf(model, options, b.violation.run)
      break
    }
  }
  return { runs, steps, generated, longest, endedEarly, seconds, coverage: model.families.map((f, k) => ({ action: f.name, count: coverage[k]! })), violation }
}

/** The simulation on this thread: one block of every run. */
export function simulate(model: Model, options: SimulationOptions): SimulationResult {
  const started = performance.now()
  let lastProgress = started
  const block = walkRuns(model, options, 0, options.runs, (runs, steps) => {
    const now = performance.now()
    if (options.onProgress && now - lastProgress >= 1000) {
      lastProgress = now
      options.onProgress({ runs, steps, seconds: (now - started) / 1000 })
    }
  })
  return combine(model, [block], (performance.now() - started) / 1000, options)
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
function shorten(model: Model, options: WalkOptions, first: Uint8Array, walk: readonly Raw[], b: { readonly invariant: string; readonly kind: string }): TraceStep[] {
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
