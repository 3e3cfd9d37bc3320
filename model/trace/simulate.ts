/**
 * Random walks of a model written as implementation traces (NDJSON): test input for the
 * validator, and the shape an implementation's own traces should have. Seeded, so a walk is
 * reproducible; successors outside the state constraint are never taken.
 */
import type { KitModel } from "../kit/index.js"
import { successorsOf, type TraceStep } from "../engine/path.js"
import { TRACE_FORMAT, TRACE_VERSION, type TraceEvent, type TraceHeader } from "./events.js"
import { prng } from "./prng.js"

export interface SimulateOptions {
  readonly steps: number
  readonly seed: number
  /** What each event observes: every variable, only the event node's variables, or nothing. */
  readonly observe: "full" | "node" | "none"
  /** Model actions taken but not logged (the validator's internal steps). */
  readonly hidden: readonly string[]
  /** Actions whose name starts with one of these are taken 4 times out of 5 when enabled. */
  readonly prefer?: readonly string[]
}

const plain = (v: unknown): unknown =>
  v instanceof Set ? [...v].map(plain) : Array.isArray(v) ? v.map(plain) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v

/**
 * One enabled step: an action uniformly among those enabled, then one of its instances. (Choosing
 * among instances directly would be mostly elections, which have many, and end runs early.)
 */
export function pickStep(enabled: readonly TraceStep[], random: () => number): TraceStep {
  const names = [...new Set(enabled.map((s) => s.action!.name))]
  const name = names[Math.floor(random() * names.length)]!
  const instances = enabled.filter((s) => s.action!.name === name)
  return instances[Math.floor(random() * instances.length)]!
}

/** The trace's lines (header first), and the number of events written. */
export function simulateTrace(protocol: string, config: Record<string, number>, model: KitModel, options: SimulateOptions): string[] {
  const random = prng(options.seed)
  const nodes = model.layout.nodes
  const header: TraceHeader = { kind: "header", format: TRACE_FORMAT, version: TRACE_VERSION, protocol, config, nodes: Array.from({ length: nodes }, (_, k) => k + 1) }
  const lines = [JSON.stringify(header)]
  const hidden = new Set(options.hidden)
  const nodeVars = new Set(model.codec.nodeVariables)
  let state = model.initialStates()[0]!
  let seq = 0
  for (let step = 0; step < options.steps; step++) {
    const enabled = successorsOf(model, state).filter((s) => model.constraint(s.state))
    if (enabled.length === 0) break
    const preferred = enabled.filter((s) => options.prefer?.some((p) => s.action!.name.startsWith(p)))
    const chosen = pickStep(preferred.length > 0 && random() < 0.8 ? preferred : enabled, random)
    state = chosen.state
    const action = chosen.action!
    if (hidden.has(action.name)) continue
    const family = model.families.find((f) => f.name === action.name)!
    const first = family.params[0]
    // The event's node is the action's first parameter when that is a node id; the rest are args.
    const node = first !== undefined && family.paramKinds?.[0] === "node" ? (action.args[first] as number) : null
    const args = Object.fromEntries(Object.entries(action.args).filter(([k]) => node === null || k !== first).map(([k, v]) => [k, plain(v)]))
    const readable = model.codec.decode(state) as Record<string, unknown>
    const observed: Record<string, unknown> = {}
    if (options.observe !== "none") {
      for (const [name, value] of Object.entries(readable)) {
        if (nodeVars.has(name)) {
          if (node !== null) observed[name] = plain((value as unknown[])[node - 1])
        } else if (options.observe === "full") observed[name] = plain(value)
      }
    }
    const event: TraceEvent = { kind: "event", seq: ++seq, node, action: action.name, args, observed }
    lines.push(JSON.stringify(event))
  }
  return lines
}
