/**
 * The recovery of ADR 0002 over a SidecarStore, deciding from what a process can read: table
 * heads (version numbers), published versions, the manifest's lineage and the sidecar's own
 * fields. Never from which operation made a version (the store keeps that, as Lance keeps a
 * transaction's metadata, but an identity-blind sweep does not look).
 *
 * classify: a roll-back in the lineage first (finished: record it); then per table, no movement
 * (head = published), rolled past expected (head = published + 1 = the sidecar's post-commit pin,
 * and the sidecar's pin = published), or unexpected. All rolled past: roll forward. No movement
 * anywhere and some published version past the pin: the publish happened, only the sidecar was
 * left (record a roll-forward). Else roll back.
 */
import { Effect } from "effect"
import { head, type SidecarRecord, type SidecarStoreService, type StoreState } from "./store.js"

export type Decision = "Forward" | "Back" | "DoneForward" | "DoneBack"

export const outcomeOf = (d: Decision) => (d === "Forward" || d === "DoneForward" ? "RolledForward" : "RolledBack")

/** Every table of the sidecar is published at its post-commit pin or later (Omnigraph's "intent satisfied"). */
export const publishedReachesTarget = (s: StoreState, r: SidecarRecord) => r.tables.every((t, i) => s.manifest.tables[t]! >= r.target[i]!)

export function classify(s: StoreState, r: SidecarRecord): Decision {
  if (s.manifest.rolledBack.includes(r.op)) return "DoneBack"
  let past = 0
  let moved = 0
  let pinPassed = false
  r.tables.forEach((t, i) => {
    const pin = s.manifest.tables[t]!
    const h = head(s, t)
    if (pin > r.expected[i]!) pinPassed = true
    if (h === pin) return
    moved++
    if (h === pin + 1 && r.expected[i] === pin && r.target[i] === h) past++
  })
  if (past === r.tables.length) return "Forward"
  if (moved === 0 && pinPassed) return "DoneForward"
  return "Back"
}

/** What a sweep read when it classified: the published version and the head of every table. */
export interface Reading {
  readonly pins: readonly number[]
  readonly heads: readonly number[]
}

export const readingOf = (s: StoreState): Reading => ({ pins: [...s.manifest.tables], heads: s.tables.map((_, t) => head(s, t)) })

/**
 * Applies a decision taken on `read`: "converged", "deferred" or "failed". A roll-forward
 * publishes the post-commit pins by CAS from the sidecar's pins, and on a lost CAS re-reads: the
 * intent satisfied converges, else defers (or, with `failOnCasLoss`, fails the open). A roll-back
 * appends to each table that moved a restore version of the published version read, each only if
 * the head is still the one read, then publishes them by CAS from the versions read, recording
 * the roll-back in the lineage.
 */
export function apply(store: SidecarStoreService, r: SidecarRecord, decision: Decision, read: Reading, failOnCasLoss = false): "converged" | "deferred" | "failed" {
  const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
  if (decision === "DoneForward" || decision === "DoneBack") return "converged"
  if (decision === "Forward") {
    const expected = new Map(r.tables.map((t, i) => [t, r.expected[i]!]))
    if (run(store.casManifest(expected, new Map(r.tables.map((t, i) => [t, r.target[i]!]))))) return "converged"
    if (failOnCasLoss) return "failed"
    return publishedReachesTarget(run(store.read), r) ? "converged" : "deferred"
  }
  const now = run(store.read)
  const moved = r.tables.filter((t) => head(now, t) !== read.pins[t])
  if (moved.some((t) => head(now, t) !== read.heads[t])) return "deferred"
  const restored = new Map<number, number>()
  for (const t of moved) {
    const v = run(store.restoreIf(t, read.pins[t]!, read.heads[t]!))
    if (v === null) return "deferred"
    restored.set(t, v)
  }
  return run(store.casManifest(new Map(moved.map((t) => [t, read.pins[t]!])), restored, r.op)) ? "converged" : "deferred"
}

/**
 * In a writer's process before it writes: rolls forward (or records as finished) op r's sidecar
 * if its classification allows it, and reports whether it did. A roll-back is left for a sweep.
 */
export function heal(store: SidecarStoreService, r: SidecarRecord): boolean {
  const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
  const s = run(store.read)
  const decision = classify(s, r)
  if (decision === "Back") return false
  if (apply(store, r, decision, readingOf(s)) !== "converged") return false
  run(store.finishSidecar(r.op, outcomeOf(decision), false))
  return true
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
      if (apply(store, r, decision, readingOf(s)) !== "converged") continue
      afterApply(decision)
      run(store.finishSidecar(r.op, outcomeOf(decision), false))
    }
  }
  const left = [...run(store.read).sidecars.keys()]
  if (left.length > 0) throw new Error(`recovery left sidecars pending for ops ${left.join(", ")}`)
}
