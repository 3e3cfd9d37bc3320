/**
 * sidecar: writers that commit a subset of the tables under a sidecar (intent record) and publish
 * them with one manifest compare-and-swap, crashing at any point; and concurrent recovery sweeps
 * that classify each pending sidecar from what they can read and roll it forward (publish) or
 * back (append and publish restore versions), then delete it and append an audit row
 * (spec/adr/0002-sidecar-recovery.md).
 */
import { defineProtocol } from "../../kit/index.js"
import { baseSidecarRules, sidecarActions, type SidecarRules } from "./actions.js"
import { sidecarInvariants } from "./invariants.js"
import { SIDECAR_FAIR_STEPS, sidecarLiveness } from "./liveness.js"
import { SidecarState } from "./state.js"

const variant = (name: string, summary: string, change: Partial<SidecarRules>) => ({ name, summary, rules: (r: SidecarRules) => ({ ...r, ...change }) })

export default defineProtocol({
  name: "sidecar",
  summary: "multi-table commit under a sidecar, manifest CAS, and concurrent recovery sweeps that roll forward or back",
  bounds: {
    writers: { default: 2, min: 1, max: 4, description: "writers, one operation each over a subset of the tables" },
    sweeps: { default: 2, min: 1, max: 3, description: "concurrent recovery sweeps" },
    tables: { default: 2, min: 1, max: 3, description: "tables" }
  },
  nodes: (b) => b.writers,
  state: SidecarState,
  // Writers are interchangeable: every node id in the state (queue, tags, authors, lineage, sweeps) moves with them.
  symmetry: true,
  rules: baseSidecarRules,
  actions: sidecarActions,
  // NoSidecarLeftAtQuiescence asks the variant's own classifier.
  invariants: (b, rules) => sidecarInvariants(b.sweeps, rules),
  liveness: () => sidecarLiveness,
  fairness: (_b, _r, actions) => ({ strong: SIDECAR_FAIR_STEPS.filter((a) => actions.includes(a.replace("(w)", ""))) }),
  base: "the fixed design: identity-blind classification, heal first with a barrier, the per-table write queue, and the roll-back recorded in the manifest's lineage",
  variants: [
    variant("no-heal-first", "a writer writes while a dead writer's sidecar is still pending", { heal: "none" }),
    variant("heal-defer", "a writer heals what it can roll forward, then writes even while a sidecar that needs a roll-back is pending", { heal: "defer" }),
    variant("no-write-queue", "writers of the same table are not serialised in the process", { writeQueue: false }),
    variant("unconditional-restore", "a roll-back appends its restore versions whatever the heads are now (as Dataset::restore does)", { conditionalRestore: false }),
    variant("restore-reentry", "a roll-back is not recorded in the manifest's lineage, so its published restore versions read as a finished roll-forward", { restoreGuard: false }),
    variant("identity-aware", "identity-aware sidecars: versions carry their operation's id and the lineage the operation's publish", { identity: true }),
    variant("identity-aware-no-heal-first", "identity-aware sidecars, and writers that do not heal first", { identity: true, heal: "none" }),
    variant("identity-aware-no-write-queue", "identity-aware sidecars, and no per-table write queue", { identity: true, writeQueue: false }),
    variant("cas-mismatch-fails-open", "a roll-forward that loses the manifest CAS fails the open, even when another sweep reached the same goal", { onCasLoss: "fail" }),
    variant("unconditional-converge-audit", "every sweep that converges on a sidecar appends an audit row, even if another sweep deleted it", { auditOnlyIfDeleted: false }),
    variant("rollback-without-lease", "a sweep may roll back the sidecar of a writer that is still alive (no cross-process lease)", { leaseRequired: false }),
    variant("blind-sweep-publish", "a sweep publishes a roll-forward by overwriting the manifest instead of a CAS", { sweepPublishCas: false }),
    variant("forward-deletes-only", "a roll-forward only deletes the sidecar, assuming its writer published", { forwardPublishes: false }),
    variant("unexpected-defers", "a sidecar with a table that another operation moved is deferred instead of rolled back", { unexpectedRollsBack: false }),
    variant("unexpected-defers-no-heal-first", "the deferral of unexpected-defers, with writers that do not heal first", { unexpectedRollsBack: false, heal: "none" })
  ],
  // Loaded when verdicts or the tests ask for it, not by every worker thread.
  manifest: () => import("./manifest.json", { with: { type: "json" } })
})
