/**
 * The sidecar protocol's temporal property (ADR 0002: a dead writer's sidecar is recovered by a
 * sweep), checked by `check sidecar --liveness`.
 */
import { SidecarState } from "./state.js"

/**
 * A live writer's own steps and every sweep's steps are strongly fair: a step enabled again and
 * again is taken (a writer that keeps losing the manifest CAS, or a sweep that keeps deferring,
 * does not do so for ever). Crashes are not fair: a writer may crash, or not.
 */
export const SIDECAR_FAIR_STEPS = ["Heal(w)", "WriteSidecar(w)", "CommitTable(w)", "PublishManifest(w)", "DeleteSidecar(w)", "SweepClassify", "SweepApply", "SweepFinish"]

export const sidecarLiveness = [
  SidecarState.leadsToEach(
    "NoSidecarPendingForever",
    "a pending sidecar is eventually resolved: deleted by its writer, or rolled forward or back by a sweep",
    (s, w) => s.sidecar.pending(w),
    (s, w) => !s.sidecar.pending(w)
  )
]
