/**
 * Reachable states for the locality tests: a breadth-first search, and for each action,
 * up to `keep` evenly spread states in which it is enabled. Successors outside the model's state
 * constraint are not explored.
 */
import { successorsOf } from "../../model/engine/path.js"
import type { KitModel } from "../../model/kit/index.js"

export interface SampleOptions {
  /** States per action to keep. */
  readonly keep: number
  /** Stop the search after this many states (default: none). */
  readonly cap?: number
  /** Sample only states in which one of these actions is enabled (default: any action). */
  readonly actions?: readonly string[]
  /** Keep one state per orbit under relabelling of the nodes, so that the search gets deep sooner (symmetric models only). */
  readonly bySymmetry?: boolean
}

export function sampleReachable(model: KitModel, { keep, cap = Infinity, actions, bySymmetry = false }: SampleOptions): Uint8Array[] {
  const canonical = new Uint8Array(model.widthBytes)
  const key = (b: Uint8Array) => (bySymmetry ? (model.layout.canonicalize(b, canonical), Buffer.from(canonical)) : Buffer.from(b)).toString("latin1")
  const seen = new Set<string>()
  const enabledIn = new Map<string, Uint8Array[]>()
  let frontier: Uint8Array[] = model.initialStates().map((s) => s.slice())
  while (frontier.length > 0 && seen.size < cap) {
    const next: Uint8Array[] = []
    for (const s of frontier) {
      if (seen.has(key(s))) continue
      seen.add(key(s))
      const successors = successorsOf(model, s)
      for (const name of new Set(successors.map((t) => t.action!.name))) {
        if (actions !== undefined && !actions.includes(name)) continue
        if (!enabledIn.has(name)) enabledIn.set(name, [])
        enabledIn.get(name)!.push(s)
      }
      for (const t of successors) if (model.constraint(t.state) && !seen.has(key(t.state))) next.push(t.state.slice())
    }
    frontier = next
  }
  const chosen = new Set<Uint8Array>()
  for (const states of enabledIn.values()) {
    const step = Math.max(1, Math.floor(states.length / keep))
    states.forEach((s, k) => k % step === 0 && chosen.add(s))
  }
  return [...chosen]
}
