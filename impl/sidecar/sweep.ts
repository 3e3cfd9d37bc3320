/**
 * The recovery sweep of ADR 0002 over a SidecarStore: classify a pending sidecar (the manifest
 * first, then each table's head), apply the decision (roll forward by CAS, re-reading the
 * manifest if the CAS loses; roll back the tables still holding this op's versions; or abort),
 * then delete the sidecar and append its audit row in one step.
 */
import { Effect } from "effect"
import type { SidecarRecord, SidecarStoreService, StoreState } from "./store.js"

export type Decision = "Forward" | "Back" | "Abort"

export const publishedOrNewer = (s: StoreState, r: SidecarRecord) => r.target.every((v, t) => s.manifest.tables[t]! >= v)
export const holdsOwn = (s: StoreState, r: SidecarRecord, t: number) => s.heads[t] === r.target[t] && s.committedBy[t]![r.target[t]!] === r.op

export function classify(s: StoreState, r: SidecarRecord): Decision {
  const past = [0, 1].filter((t) => holdsOwn(s, r, t)).length
  return publishedOrNewer(s, r) || past === 2 ? "Forward" : past > 0 ? "Back" : "Abort"
}

/** Applies a decision taken when the manifest was at version `seen`: "converged", "deferred" or "failed". */
export function apply(
  store: SidecarStoreService,
  r: SidecarRecord,
  decision: Decision,
  seen: number,
  failOnCasLoss = false
): "converged" | "deferred" | "failed" {
  const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
  const now = run(store.read)
  if (decision === "Forward") {
    if (publishedOrNewer(now, r) && seen === now.manifest.version) return "converged"
    if (run(store.casManifest(seen, r.target))) return "converged"
    if (failOnCasLoss) return "failed"
    return publishedOrNewer(run(store.read), r) ? "converged" : "deferred"
  }
  if (decision === "Back") for (const t of [0, 1]) if (holdsOwn(now, r, t)) run(store.restore(t, r.expected[t]!))
  return "converged"
}

/**
 * Resolves every pending sidecar (all writers are gone, e.g. on open after a crash). With no
 * concurrent writer a CAS cannot lose, so one pass should do; the second pass is a guard, and
 * anything still pending after it is a bug worth a loud failure rather than a silent leftover.
 */
export function recoverAll(store: SidecarStoreService, afterApply: (decision: Decision) => void = () => {}): void {
  const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
  for (let pass = 0; pass < 2; pass++) {
    const pending = [...run(store.read).sidecars.values()]
    if (pending.length === 0) return
    for (const r of pending) {
      const s = run(store.read)
      const decision = classify(s, r)
      if (apply(store, r, decision, s.manifest.version) !== "converged") continue
      afterApply(decision)
      run(store.finishSidecar(r.op, decision, false))
    }
  }
  const left = [...run(store.read).sidecars.keys()]
  if (left.length > 0) throw new Error(`recovery left sidecars pending for ops ${left.join(", ")}`)
}
