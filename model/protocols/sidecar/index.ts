/**
 * sidecar: writers that commit two tables under a sidecar (intent record) and publish them with
 * one manifest compare-and-swap, crashing after any phase; and concurrent recovery sweeps that
 * classify each pending sidecar and roll it forward (publish) or back (restore the tables), then
 * delete it and append an audit row (spec/adr/0002-sidecar-recovery.md).
 */
import { defineProtocol } from "../../kit/index.js"
import { baseSidecarRules, sidecarActions, type SidecarRules } from "./actions.js"
import { sidecarInvariants } from "./invariants.js"
import { SidecarState } from "./state.js"

const variant = (name: string, summary: string, change: Partial<SidecarRules>) => ({ name, summary, rules: (r: SidecarRules) => ({ ...r, ...change }) })

export default defineProtocol({
  name: "sidecar",
  summary: "multi-table commit under a sidecar, manifest CAS, and concurrent recovery sweeps that roll forward or back",
  bounds: {
    writers: { default: 2, min: 1, max: 2, description: "writers, one operation each over the 2 tables" },
    sweeps: { default: 2, min: 1, max: 2, description: "concurrent recovery sweeps" }
  },
  nodes: (b) => b.writers,
  state: SidecarState,
  rules: baseSidecarRules,
  actions: sidecarActions,
  // NoSidecarLeftAtQuiescence asks the variant's own classifier.
  invariants: (b, rules) => sidecarInvariants(b.sweeps, rules),
  base: "the fixed design",
  variants: [
    variant("cas-mismatch-fails-open", "a roll-forward that loses the manifest CAS fails the open, even when another sweep reached the same goal", { onCasLoss: "fail" }),
    variant("unconditional-converge-audit", "every sweep that converges on a sidecar appends an audit row, even if another sweep deleted it", { auditOnlyIfDeleted: false }),
    variant("rollback-without-lease", "a sweep may roll back the sidecar of a writer that is still alive (no cross-process lease)", { leaseRequired: false }),
    variant("blind-sweep-publish", "a sweep publishes a roll-forward by overwriting the manifest instead of a CAS", { sweepPublishCas: false }),
    variant("forward-deletes-only", "a roll-forward only deletes the sidecar, assuming its writer published", { forwardPublishes: false }),
    variant("writer-builds-on-heads", "a writer expects the tables' current heads, which may hold another live writer's unpublished versions", { expectPublished: false }),
    variant("no-heal-first", "a writer starts while a dead writer's sidecar is still pending", { healFirst: false }),
    variant("first-design", "the first design: classification by table heads only, and a sidecar whose tables moved on without it is deferred for ever", {
      publishedMeansDone: false,
      abortWhenNothingVisible: false
    }),
    variant("classify-ignores-manifest", "the second design: classification looks only at table heads, so a published op whose writer crashed before deleting its sidecar can be rolled back", {
      publishedMeansDone: false
    })
  ],
  // Loaded when verdicts or the tests ask for it, not by every worker thread.
  manifest: () => import("./manifest.json", { with: { type: "json" } })
})
