/**
 * sidecar's model (spec/adr/0002-sidecar-recovery.md): writers that commit two tables under a
 * sidecar (intent record) and publish them with one manifest compare-and-swap, crashing after any
 * phase; and concurrent recovery sweeps that classify each pending sidecar and roll it forward
 * (publish) or back (restore the tables), then delete it and append an audit row.
 *
 * Packed state, one byte each: table heads; manifest version and published versions; which op
 * committed each table version; per writer its phase, the manifest version it read, its sidecar
 * (expected and target versions, pending flag); per sweep its phase, op, decision and the
 * manifest version it read; per op its audit rows.
 */
import { BASE_VARIANT, type ActionFamily, type Model, type StateInvariant, type StepInvariant } from "../../engine/model.js"

export interface SidecarConfig {
  readonly writers: number
  readonly sweeps: number
  [bound: string]: number
}

export const TABLES = 2
/** Writer phases. */
export const W = { start: 0, sidecar: 1, committedFirst: 2, committedBoth: 3, published: 4, done: 5, crashed: 6, aborted: 7 } as const
export const WRITER_PHASES = ["Start", "SidecarWritten", "CommittedFirst", "CommittedBoth", "Published", "Done", "Crashed", "Aborted"] as const
/** Sweep phases and decisions. */
export const S = { idle: 0, classified: 1, converged: 2, failed: 3 } as const
export const SWEEP_PHASES = ["Idle", "Classified", "Converged", "Failed"] as const
export const FORWARD = 1
export const BACK = 2
export const ABORT = 3

/** Design choices the variants change. */
export interface SidecarRules {
  /** A sweep may classify only sidecars whose writer is gone (crashed or aborted): the lease. */
  readonly leaseRequired: boolean
  /** Every writer heals first: it starts only when no dead writer's sidecar is pending. */
  readonly healFirst: boolean
  /** A writer's expected versions are the manifest's (published) rather than the table heads. */
  readonly expectPublished: boolean
  /** A sweep publishes a roll-forward with a compare-and-swap (rather than a blind write). */
  readonly sweepPublishCas: boolean
  /** What a sweep does when its roll-forward CAS loses: "reread" (converge or defer), or "fail" the open. */
  readonly onCasLoss: "reread" | "fail"
  /** A roll-forward publishes the sidecar's versions (rather than only deleting the sidecar). */
  readonly forwardPublishes: boolean
  /** Finishing appends an audit row only if this sweep deletes the sidecar. */
  readonly auditOnlyIfDeleted: boolean
  /**
   * A sidecar none of whose versions is any table's head (its op left nothing visible) is
   * aborted: deleted with an audit row. Without this, such a sidecar is "unexpected" forever.
   */
  readonly abortWhenNothingVisible: boolean
  /**
   * A sidecar whose versions (or newer ones) the manifest already published belongs to an op that
   * completed its publish: the sweep only deletes it, never rolls it back.
   */
  readonly publishedMeansDone: boolean
}

export const baseSidecarRules: SidecarRules = {
  leaseRequired: true,
  healFirst: true,
  expectPublished: true,
  sweepPublishCas: true,
  onCasLoss: "reread",
  forwardPublishes: true,
  auditOnlyIfDeleted: true,
  abortWhenNothingVisible: true,
  publishedMeansDone: true
}

export const sidecarVariants: ReadonlyArray<{ name: string; summary: string; apply: (r: SidecarRules) => SidecarRules }> = [
  { name: "cas-mismatch-fails-open", summary: "a roll-forward that loses the manifest CAS fails the open, even when another sweep reached the same goal", apply: (r) => ({ ...r, onCasLoss: "fail" }) },
  { name: "unconditional-converge-audit", summary: "every sweep that converges on a sidecar appends an audit row, even if another sweep deleted it", apply: (r) => ({ ...r, auditOnlyIfDeleted: false }) },
  { name: "rollback-without-lease", summary: "a sweep may roll back the sidecar of a writer that is still alive (no cross-process lease)", apply: (r) => ({ ...r, leaseRequired: false }) },
  { name: "blind-sweep-publish", summary: "a sweep publishes a roll-forward by overwriting the manifest instead of a CAS", apply: (r) => ({ ...r, sweepPublishCas: false }) },
  { name: "forward-deletes-only", summary: "a roll-forward only deletes the sidecar, assuming its writer published", apply: (r) => ({ ...r, forwardPublishes: false }) },
  { name: "writer-builds-on-heads", summary: "a writer expects the tables' current heads, which may hold another live writer's unpublished versions", apply: (r) => ({ ...r, expectPublished: false }) },
  { name: "no-heal-first", summary: "a writer starts while a dead writer's sidecar is still pending", apply: (r) => ({ ...r, healFirst: false }) },
  {
    name: "first-design",
    summary: "the first design: classification by table heads only, and a sidecar whose tables moved on without it is deferred for ever",
    apply: (r) => ({ ...r, publishedMeansDone: false, abortWhenNothingVisible: false })
  },
  {
    name: "classify-ignores-manifest",
    summary: "the second design: classification looks only at table heads, so a published op whose writer crashed before deleting its sidecar can be rolled back",
    apply: (r) => ({ ...r, publishedMeansDone: false })
  }
]

/** Byte offsets of the packed state. */
export class SidecarLayout {
  readonly maxVersion: number
  readonly head = 0
  readonly mVersion = TABLES
  readonly mTables = TABLES + 1
  readonly committedBy = 2 * TABLES + 1
  readonly writers: number
  readonly writerBase: number
  readonly sweepBase: number
  readonly auditBase: number
  readonly widthBytes: number
  /** Per writer: phase, seen, expected[2], target[2], pending. */
  static readonly WRITER = 7
  /** Per sweep: phase, op (1-based, 0 none), decision, seen. */
  static readonly SWEEP = 4

  constructor(readonly config: SidecarConfig) {
    this.writers = config.writers
    this.maxVersion = config.writers
    this.writerBase = this.committedBy + TABLES * (this.maxVersion + 1)
    this.sweepBase = this.writerBase + config.writers * SidecarLayout.WRITER
    this.auditBase = this.sweepBase + config.sweeps * SidecarLayout.SWEEP
    this.widthBytes = Math.ceil((this.auditBase + config.writers) / 4) * 4
  }
  w(w: number, field: number): number {
    return this.writerBase + w * SidecarLayout.WRITER + field
  }
  s(s: number, field: number): number {
    return this.sweepBase + s * SidecarLayout.SWEEP + field
  }
  by(t: number, v: number): number {
    return this.committedBy + t * (this.maxVersion + 1) + v
  }
}

// Writer fields.
const PC = 0
const SEEN = 1
const EXPECTED = 2
const TARGET = 4
const PENDING = 6
// Sweep fields.
const SPC = 0
const OP = 1
const DECISION = 2
const SSEEN = 3

const live = (pc: number) => pc >= W.sidecar && pc <= W.published

export function buildSidecar(config: SidecarConfig, variant: string): Model {
  let rules = baseSidecarRules
  if (variant !== BASE_VARIANT) {
    const v = sidecarVariants.find((x) => x.name === variant)
    if (!v) throw new RangeError(`sidecar has no variant ${variant}`)
    rules = v.apply(rules)
  }
  const L = new SidecarLayout(config)
  const nw = config.writers
  const ns = config.sweeps
  const one = (a: readonly number[]) => ({ w: a[0] })

  /**
   * How a sweep classifies op w's sidecar now, table by table: rolled past expected (the head is
   * this op's version), no movement (the head is the expected version), or unexpected (another op
   * moved the table). Every table past: FORWARD; some: BACK (restore those); none: ABORT (nothing
   * of this op is visible). With abortWhenNothingVisible off, an unexpected table defers (0).
   */
  const classify = (s: Uint8Array, w: number): number => {
    if (rules.publishedMeansDone && publishedOrNewer(s, w)) return FORWARD
    let past = 0
    let unexpected = false
    for (let t = 0; t < TABLES; t++) {
      const head = s[L.head + t]!
      const target = s[L.w(w, TARGET + t)]!
      if (head === target && s[L.by(t, target)] === w + 1) past++
      else if (head !== s[L.w(w, EXPECTED + t)]) unexpected = true
    }
    if (!rules.abortWhenNothingVisible) return unexpected ? 0 : past === TABLES ? FORWARD : BACK
    return past === TABLES ? FORWARD : past > 0 ? BACK : ABORT
  }
  /** The manifest holds this op's versions or newer ones: the op's publish already happened. */
  const publishedOrNewer = (s: Uint8Array, w: number) => {
    for (let t = 0; t < TABLES; t++) if (s[L.mTables + t]! < s[L.w(w, TARGET + t)]!) return false
    return true
  }
  const publishedIs = (s: Uint8Array, w: number) => {
    for (let t = 0; t < TABLES; t++) if (s[L.mTables + t] !== s[L.w(w, TARGET + t)]) return false
    return true
  }
  const publish = (t: Uint8Array, w: number) => {
    t[L.mVersion]!++
    for (let k = 0; k < TABLES; k++) t[L.mTables + k] = t[L.w(w, TARGET + k)]!
  }

  const families: ActionFamily[] = [
    {
      name: "WriteSidecar",
      params: ["w"],
      expand(s, out) {
        for (let w = 0; w < nw; w++) {
          if (s[L.w(w, PC)] !== W.start) continue
          if (rules.healFirst) {
            let blocked = false
            for (let o = 0; o < nw; o++) if (s[L.w(o, PENDING)] && !live(s[L.w(o, PC)]!)) blocked = true
            if (blocked) continue
          }
          const t = out.next()
          t[L.w(w, PC)] = W.sidecar
          t[L.w(w, SEEN)] = s[L.mVersion]!
          for (let k = 0; k < TABLES; k++) {
            const expected = rules.expectPublished ? s[L.mTables + k]! : s[L.head + k]!
            t[L.w(w, EXPECTED + k)] = expected
            t[L.w(w, TARGET + k)] = expected + 1
          }
          t[L.w(w, PENDING)] = 1
          out.emit(w + 1)
        }
      },
      describe: one
    },
    {
      name: "CommitTable",
      params: ["w", "table"],
      expand(s, out) {
        for (let w = 0; w < nw; w++) {
          const pc = s[L.w(w, PC)]!
          if (pc !== W.sidecar && pc !== W.committedFirst) continue
          const k = pc - W.sidecar
          const t = out.next()
          const target = s[L.w(w, TARGET + k)]!
          // A conditional commit: the table must still be at the expected version.
          if (s[L.head + k] === s[L.w(w, EXPECTED + k)] && target <= L.maxVersion) {
            t[L.head + k] = target
            t[L.by(k, target)] = w + 1
            t[L.w(w, PC)] = pc + 1
          } else t[L.w(w, PC)] = W.aborted
          out.emit(w + 1, k + 1)
        }
      },
      describe: (a) => ({ w: a[0], table: a[1] })
    },
    {
      name: "PublishManifest",
      params: ["w"],
      expand(s, out) {
        for (let w = 0; w < nw; w++) {
          if (s[L.w(w, PC)] !== W.committedBoth) continue
          const t = out.next()
          if (s[L.mVersion] === s[L.w(w, SEEN)]) {
            publish(t, w)
            t[L.w(w, PC)] = W.published
          } else t[L.w(w, PC)] = W.aborted
          out.emit(w + 1)
        }
      },
      describe: one
    },
    {
      name: "DeleteSidecar",
      params: ["w"],
      expand(s, out) {
        for (let w = 0; w < nw; w++) {
          if (s[L.w(w, PC)] !== W.published) continue
          const t = out.next()
          t[L.w(w, PENDING)] = 0
          t[L.w(w, PC)] = W.done
          out.emit(w + 1)
        }
      },
      describe: one
    },
    {
      name: "CrashWriter",
      params: ["w"],
      expand(s, out) {
        for (let w = 0; w < nw; w++) {
          if (!live(s[L.w(w, PC)]!)) continue
          out.next()[L.w(w, PC)] = W.crashed
          out.emit(w + 1)
        }
      },
      describe: one
    },
    {
      name: "SweepClassify",
      params: ["sweep", "w"],
      expand(s, out) {
        for (let sw = 0; sw < ns; sw++) {
          if (s[L.s(sw, SPC)] !== S.idle) continue
          for (let w = 0; w < nw; w++) {
            if (!s[L.w(w, PENDING)]) continue
            if (rules.leaseRequired && live(s[L.w(w, PC)]!)) continue
            const decision = classify(s, w)
            if (decision === 0) continue
            const t = out.next()
            t[L.s(sw, SPC)] = S.classified
            t[L.s(sw, OP)] = w + 1
            t[L.s(sw, DECISION)] = decision
            t[L.s(sw, SSEEN)] = s[L.mVersion]!
            out.emit(sw + 1, w + 1)
          }
        }
      },
      describe: (a) => ({ sweep: a[0], w: a[1] })
    },
    {
      name: "SweepApply",
      params: ["sweep"],
      expand(s, out) {
        for (let sw = 0; sw < ns; sw++) {
          if (s[L.s(sw, SPC)] !== S.classified) continue
          const w = s[L.s(sw, OP)]! - 1
          const t = out.next()
          if (s[L.s(sw, DECISION)] === FORWARD && !rules.forwardPublishes) {
            t[L.s(sw, SPC)] = S.converged
          } else if (s[L.s(sw, DECISION)] === FORWARD) {
            if (rules.publishedMeansDone && publishedOrNewer(s, w) && s[L.s(sw, SSEEN)] === s[L.mVersion]) {
              // Classified as already published, and nothing was published since: just converge.
              t[L.s(sw, SPC)] = S.converged
            } else if (!rules.sweepPublishCas || s[L.mVersion] === s[L.s(sw, SSEEN)]) {
              publish(t, w)
              t[L.s(sw, SPC)] = S.converged
            } else if (rules.onCasLoss === "fail") t[L.s(sw, SPC)] = S.failed
            // The CAS lost: re-read the manifest; converge if it holds the goal (or newer), else defer.
            else if (publishedOrNewer(s, w)) t[L.s(sw, SPC)] = S.converged
            else t[L.s(sw, SPC)] = S.idle
          } else if (s[L.s(sw, DECISION)] === ABORT) {
            t[L.s(sw, SPC)] = S.converged
          } else {
            // Roll back: restore each table that still holds this op's version.
            for (let k = 0; k < TABLES; k++) {
              const target = s[L.w(w, TARGET + k)]!
              if (s[L.head + k] === target && s[L.by(k, target)] === w + 1) t[L.head + k] = s[L.w(w, EXPECTED + k)]!
            }
            t[L.s(sw, SPC)] = S.converged
          }
          out.emit(sw + 1)
        }
      },
      describe: (a) => ({ sweep: a[0] })
    },
    {
      name: "SweepFinish",
      params: ["sweep"],
      expand(s, out) {
        for (let sw = 0; sw < ns; sw++) {
          if (s[L.s(sw, SPC)] !== S.converged) continue
          const w = s[L.s(sw, OP)]! - 1
          const t = out.next()
          const pending = s[L.w(w, PENDING)] === 1
          if (pending) t[L.w(w, PENDING)] = 0
          if ((pending || !rules.auditOnlyIfDeleted) && t[L.auditBase + w]! < 255) t[L.auditBase + w]!++
          t[L.s(sw, SPC)] = S.idle
          t[L.s(sw, OP)] = 0
          t[L.s(sw, DECISION)] = 0
          t[L.s(sw, SSEEN)] = 0
          out.emit(sw + 1)
        }
      },
      describe: (a) => ({ sweep: a[0] })
    }
  ]

  const stateInvariants: StateInvariant[] = [
    {
      name: "OpenNeverFailsOnConvergence",
      description: "no sweep fails an open while the manifest already holds its sidecar's intended versions",
      holds(s) {
        for (let sw = 0; sw < ns; sw++) if (s[L.s(sw, SPC)] === S.failed && publishedIs(s, s[L.s(sw, OP)]! - 1)) return false
        return true
      }
    },
    {
      name: "AuditAtMostOncePerOperation",
      description: "every operation has at most one recovery audit row",
      holds(s) {
        for (let w = 0; w < nw; w++) if (s[L.auditBase + w]! > 1) return false
        return true
      }
    },
    {
      name: "NoSidecarLeftAtQuiescence",
      description: "the sweeps never stop with a sidecar left: once every writer has finished and every sweep is idle, a pending sidecar means some sweep can still resolve one",
      holds(s) {
        for (let w = 0; w < nw; w++) if (s[L.w(w, PC)]! < W.done) return true
        for (let sw = 0; sw < ns; sw++) if (s[L.s(sw, SPC)] !== S.idle) return true
        let pending = false
        for (let w = 0; w < nw; w++) {
          if (!s[L.w(w, PENDING)]) continue
          pending = true
          if (classify(s, w) !== 0) return true
        }
        return !pending
      }
    }
  ]
  const stepInvariants: StepInvariant[] = [
    {
      name: "ManifestVersionMonotonic",
      description: "no step lowers the manifest's version or any published table version",
      holds(a, b) {
        if (b[L.mVersion]! < a[L.mVersion]!) return false
        for (let k = 0; k < TABLES; k++) if (b[L.mTables + k]! < a[L.mTables + k]!) return false
        return true
      }
    },
    {
      name: "NoCommittedVersionLost",
      description: "a roll-back never supersedes a table version that the manifest published or a live writer committed",
      holds(a, b) {
        for (let k = 0; k < TABLES; k++) {
          const v = a[L.head + k]!
          if (b[L.head + k]! >= v) continue
          if (a[L.mTables + k] === v) return false
          const by = a[L.by(k, v)]!
          if (by > 0 && live(a[L.w(by - 1, PC)]!)) return false
        }
        return true
      }
    },
    {
      name: "ManifestReflectsIntentAfterRollForward",
      description: "when a sweep's roll-forward converges, the manifest holds the sidecar's target versions (or newer ones)",
      holds(a, b) {
        for (let sw = 0; sw < ns; sw++) {
          if (a[L.s(sw, SPC)] === S.classified && a[L.s(sw, DECISION)] === FORWARD && b[L.s(sw, SPC)] === S.converged && !publishedOrNewer(b, a[L.s(sw, OP)]! - 1)) return false
        }
        return true
      }
    }
  ]

  return {
    protocol: "sidecar",
    variant,
    widthBytes: L.widthBytes,
    families,
    stateInvariants,
    stepInvariants,
    initialStates: () => [new Uint8Array(L.widthBytes)],
    constraint: () => true,
    codec: {
      nodeVariables: ["writer", "sidecar", "audit"],
      decode: (s) => decodeSidecar(L, s),
      encode: () => {
        throw new RangeError("sidecar states are not read back from ITF yet")
      }
    }
  }
}

/** The readable state (the ITF form). */
export function decodeSidecar(L: SidecarLayout, s: Uint8Array) {
  const ws = Array.from({ length: L.writers }, (_, w) => w)
  const tables = Array.from({ length: TABLES }, (_, k) => k)
  return {
    heads: tables.map((k) => s[L.head + k]!),
    manifest: { version: s[L.mVersion]!, tables: tables.map((k) => s[L.mTables + k]!) },
    writer: ws.map((w) => ({ phase: WRITER_PHASES[s[L.w(w, PC)]!]!, seen: s[L.w(w, SEEN)]! })),
    sidecar: ws.map((w) => ({
      pending: s[L.w(w, PENDING)] === 1,
      expected: tables.map((k) => s[L.w(w, EXPECTED + k)]!),
      target: tables.map((k) => s[L.w(w, TARGET + k)]!)
    })),
    sweep: Array.from({ length: L.config.sweeps }, (_, sw) => ({
      phase: SWEEP_PHASES[s[L.s(sw, SPC)]!]!,
      op: s[L.s(sw, OP)]!,
      decision: ["None", "Forward", "Back", "Abort"][s[L.s(sw, DECISION)]!]!,
      seen: s[L.s(sw, SSEEN)]!
    })),
    audit: ws.map((w) => s[L.auditBase + w]!)
  }
}
