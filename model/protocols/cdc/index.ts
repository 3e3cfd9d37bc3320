/**
 * cdc: a change-stream consumer that must survive the source's rollbacks (Couchbase DCP, and
 * go-dcp's consumer with its rollback mitigation; spec/adr/0004-change-stream-rollback.md): a
 * vBucket's copies with writes, replication, persistence, crashes, failover and unclean restarts
 * (each a new branch in the failover log), and a consumer that streams with its checkpoint, is
 * answered resume or rollback by the producer, receives snapshots of deduplicated mutations,
 * applies and acknowledges them, checkpoints, observes persistence, loses its connection and
 * crashes.
 */
import { defineProtocol } from "../../kit/index.js"
import { baseCdcRules, branchEnd, cdcActions, needsRollback, RESUME, type CdcRules } from "./actions.js"
import { cdcInvariants } from "./invariants.js"
import { CdcState, initCdc } from "./state.js"

const variant = (name: string, summary: string, change: Partial<CdcRules>) => ({ name, summary, rules: (r: CdcRules) => ({ ...r, ...change }) })

export default defineProtocol({
  name: "cdc",
  summary: "a DCP change-stream consumer across failovers and rollbacks: checkpoints, the producer's rollback decision, snapshots, rollback mitigation",
  bounds: {
    replicas: { default: 1, min: 1, max: 2, description: "replicas besides the first active (copies 1..replicas + 1)" },
    maxSeqno: { default: 2, min: 1, max: 5, description: "the highest seqno a history reaches (writes stop there)" },
    keys: { default: 2, min: 1, max: 3, description: "keys written (one snapshot sends each key's last mutation only)" },
    maxFailovers: { default: 1, min: 1, max: 3, description: "new branches (failovers and unclean restarts of the active) allowed" }
  },
  nodes: (b) => b.replicas + 1,
  state: CdcState,
  rules: baseCdcRules,
  actions: cdcActions,
  init: initCdc,
  invariants: (b) => cdcInvariants(b.maxSeqno, b.keys),
  base: "a go-dcp-shaped consumer whose sink rolls back to a point it is consistent at, with go-dcp's mitigation (observe every copy's persisted seqno) waiting for every copy, against kv_engine's rollback decision",
  variants: [
    variant("go-dcp", "go-dcp as the ADR reads it: catch-up after a rollback, events received before a reconnect applied after it, a mitigation that leaves out absent copies and whose view only rises", {
      onRollback: "catch-up",
      dropUnappliedOnReconnect: false,
      absentCopies: "ignore",
      viewPerBranch: false
    }),
    variant("apply-after-reconnect", "a mutation received before a reconnect is applied after it, whatever the new stream's answer", { dropUnappliedOnReconnect: false }),
    variant("catch-up-after-rollback", "after a rollback the consumer drops re-sent events up to its old position, as go-dcp's catch-up does", { onRollback: "catch-up" }),
    variant("redeliver-without-truncating", "a rollback leaves the sink as it is and applies what the stream sends again", { onRollback: "redeliver" }),
    variant("truncate-to-rollback-seqno", "a rollback truncates the sink to the rollback seqno itself, which may be no consistent point of its own", { onRollback: "truncate-to-seqno" }),
    variant("truncate-to-rollback-seqno-unmitigated", "truncate-to-rollback-seqno with the mitigation off", { onRollback: "truncate-to-seqno", mitigation: "off" }),
    variant("mitigation-off", "the consumer delivers every mutation as it arrives (go-dcp with rollbackMitigation disabled)", { mitigation: "off" }),
    variant("mitigation-ignores-absent-copies", "truncate-to-rollback-seqno with a mitigation that leaves out copies failed over and not back yet, as go-dcp's does", {
      onRollback: "truncate-to-seqno",
      absentCopies: "ignore"
    }),
    variant("rising-mitigation-view", "truncate-to-rollback-seqno with a mitigation whose view only rises and ignores the branch it was observed on, as go-dcp's does", {
      onRollback: "truncate-to-seqno",
      viewPerBranch: false
    }),
    variant("branch-at-snapshot-start", "a copy that persisted part of a snapshot branches at that snapshot's start, as kv_engine did before MB-35003 (2019)", { branchAtSnapshotStart: true }),
    variant("checkpoint-before-apply", "the consumer acknowledges a mutation when it receives it, before applying it", { ackOnReceive: true }),
    variant("ack-with-stream-snapshot", "an acknowledgement records the snapshot the stream is in when the mutation is applied, not the one it came in", { ackOwnSnapshot: false }),
    variant("no-snapshot-range", "the consumer's request gives its seqno as both ends of its snapshot", { sendSnapshotRange: false }),
    variant("resume-ignoring-vbuuid", "the producer resumes a request on its current branch whatever UUID the request names", {
      decide: (s, c, r) => needsRollback(s, c, { ...r, uuid: s.failoverLog.uuid(c, 1) })
    }),
    variant("rollback-to-branch-end", "the producer rolls back to where the consumer's branch ended, ignoring the snapshot it is in", {
      decide: (s, c, r) => {
        if (r.start === 0) return RESUME
        const upper = branchEnd(s, c, r.uuid)
        if (upper < 0) return 0
        return r.start <= upper ? RESUME : upper
      }
    })
  ],
  manifest: () => import("./manifest.json", { with: { type: "json" } })
})
