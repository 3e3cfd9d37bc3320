/**
 * `replcheck verdicts [<protocol>]`: runs every run of a protocol's manifest (the base model and
 * each variant, at its recorded bounds), prints one table per protocol, and says whether each
 * result is the recorded one. Each recorded counterexample is written to `<traces>/<protocol>/`
 * (by default traces/out/; `npm run traces` points it at the committed traces/).
 */
import { existsSync, readFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Either } from "effect"
import { decodeConfig, flagName } from "../engine/config.js"
import { decodeManifest, type Manifest, type ManifestRun } from "../engine/manifest.js"
import { checkLiveness } from "../engine/liveness.js"
import { runSearch } from "../engine/run.js"
import type { TraceStep } from "../engine/path.js"
import type { KitModel, Protocol } from "../kit/index.js"
import { renderTrace, toItfTrace } from "../trace/counterexample.js"
import { workerScript } from "../protocols/load.js"
import { UsageError } from "./args.js"
import { Files } from "./files.js"

export interface VerdictRow {
  readonly protocol: string
  readonly name: string
  readonly variant: string
  readonly bounds: string
  readonly invariant: string
  readonly verdict: string
  readonly distinct: number
  readonly generated: number
  readonly seconds: number
  readonly traceFile: string | null
  readonly asRecorded: boolean
  readonly mismatch: string | null
  /** Not run: marked slow in the manifest, and verdicts ran with --quick. */
  readonly skipped: boolean
}

/** Where the built-in protocols' counterexamples are committed (`npm run traces` writes them). */
const COMMITTED_TRACES = fileURLToPath(new URL(fileURLToPath(import.meta.url).endsWith(".ts") ? "../../traces" : "../../../traces", import.meta.url))

/** A protocol's manifest, loaded and decoded (bad input: a RangeError naming the field). */
export async function manifestOf(protocol: Protocol): Promise<Manifest> {
  const given = protocol.manifest
  let raw: unknown = typeof given === "function" ? await given() : given
  // A JSON module's namespace holds the manifest as its default export (bundlers add named ones too).
  if (raw !== null && typeof raw === "object" && "default" in raw) raw = (raw as { default: unknown }).default
  const decoded = decodeManifest(raw, protocol.source ?? protocol.name)
  if (Either.isLeft(decoded)) throw new RangeError(decoded.left)
  return decoded.right
}

/** The committed files of a counterexample: ITF JSON and text. */
export function traceFileContents(
  protocol: Protocol,
  model: KitModel,
  config: Record<string, number>,
  violation: { invariant: string; kind: "state" | "step" | "deadlock"; trace: readonly TraceStep[] }
): { itf: string; text: string } {
  const ctx = { protocol: protocol.name, variant: model.variant, config, invariant: violation.invariant, kind: violation.kind }
  return {
    itf: JSON.stringify(toItfTrace(model, violation.trace, ctx), null, 2) + "\n",
    text: renderTrace(model, violation.trace, ctx)
  }
}

/** Full bounds of a manifest run (defaults overridden by the run's config). */
export function runConfig(protocol: Protocol, run: ManifestRun): Record<string, number> {
  const config = decodeConfig(protocol.bounds, run.config)
  if (Either.isLeft(config)) throw new RangeError(`manifest run ${run.name}: ${config.left}`)
  return config.right
}

function compare(run: ManifestRun, got: { violated: string | null; length: number | null; distinct: number; generated: number; depth: number }): string | null {
  // A lasso's length is recorded only where it was derived by hand (liveness runs may leave it out).
  const length = (n: number | null | undefined) => (run.liveness !== undefined && run.traceLength === undefined ? "" : ` in ${n} states`)
  const want = run.result === "violation" ? `violation of ${run.violated}${length(run.traceLength)}` : "no violation"
  const have = got.violated ? `violation of ${got.violated}${length(got.length)}` : "no violation"
  if (want !== have) return `expected ${want}, got ${have}`
  for (const k of ["generated", "distinct", "depth"] as const) {
    if (run[k] !== undefined && run[k] !== got[k]) return `expected ${k} ${run[k]}, got ${got[k]}`
  }
  return null
}

/** Runs one protocol's manifest; `onRow` sees each row as it completes. */
export const runVerdicts = (
  protocol: Protocol,
  options: { workers: number; traces: string; quick?: boolean; onRow?: (row: VerdictRow) => void; /** default: the repository's traces/ */ committed?: string }
) =>
  Effect.gen(function* () {
    const manifest = yield* Effect.tryPromise({ try: () => manifestOf(protocol), catch: (e) => new UsageError({ message: (e as Error).message }) })
    // Where the counterexamples go, checked before the first run rather than after it.
    if (manifest.runs.some((r) => r.trace && !(options.quick && r.slow))) yield* (yield* Files).checkWritableDir(join(options.traces, protocol.name))
    const rows: VerdictRow[] = []
    for (const run of manifest.runs) {
      const config = yield* Effect.try({ try: () => runConfig(protocol, run), catch: (e) => new UsageError({ message: (e as Error).message }) })
      const model = yield* Effect.try({
        try: () => protocol.build(config, run.variant, { symmetry: run.symmetry }),
        catch: (e) => new UsageError({ message: `manifest run ${run.name}: ${(e as Error).message}` })
      })
      const bounds = [...Object.entries(run.config).map(([k, n]) => `--${flagName(k)} ${n}`), ...(run.symmetry ? ["--symmetry"] : [])].join(" ") || "defaults"
      if (options.quick && run.slow) {
        const row: VerdictRow = {
          protocol: protocol.name,
          name: run.name,
          variant: run.variant,
          bounds,
          invariant: run.invariants ? run.invariants.join(", ") : "all",
          verdict: "skipped (slow)",
          distinct: 0,
          generated: 0,
          seconds: 0,
          traceFile: null,
          asRecorded: true,
          mismatch: null,
          skipped: true
        }
        rows.push(row)
        options.onRow?.(row)
        continue
      }
      if (run.liveness !== undefined) {
        const properties = run.liveness
        const live = yield* Effect.try({ try: () => checkLiveness(model, { properties }), catch: (e) => new UsageError({ message: `manifest run ${run.name}: ${(e as Error).message}` }) })
        const failed = live.properties.find((p) => !p.holds)
        const row: VerdictRow = {
          protocol: protocol.name,
          name: run.name,
          variant: run.variant,
          bounds,
          invariant: failed?.name ?? properties.join(", "),
          verdict: failed ? `VIOLATED (lasso of ${failed.lasso!.steps.length} states)` : "holds",
          distinct: live.states,
          generated: live.edges,
          seconds: live.seconds,
          traceFile: null,
          asRecorded: false,
          mismatch: null,
          skipped: false
        }
        const mismatch = compare(run, { violated: failed?.name ?? null, length: failed?.lasso?.steps.length ?? null, distinct: live.states, generated: live.edges, depth: 0 })
        const done = { ...row, asRecorded: mismatch === null, mismatch }
        rows.push(done)
        options.onRow?.(done)
        continue
      }
      const ref = { protocol: protocol.name, ...(protocol.source ? { source: protocol.source } : {}), variant: run.variant, config, symmetry: run.symmetry }
      const result = yield* runSearch(workerScript, ref, model, { workers: options.workers, symmetry: run.symmetry, deadlock: false, invariants: run.invariants })
      const v = result.violation
      let traceFile: string | null = null
      const contents = v && run.trace ? traceFileContents(protocol, model, config, v) : null
      if (contents) {
        const files = yield* Files
        traceFile = join(options.traces, protocol.name, `${run.name}.itf.json`)
        yield* files.writeAllAtomic([
          [traceFile, contents.itf],
          [join(options.traces, protocol.name, `${run.name}.txt`), contents.text]
        ])
      }
      let mismatch = compare(run, { violated: v?.invariant ?? null, length: v?.trace.length ?? null, distinct: result.distinct, generated: result.generated, depth: result.depth })
      // A recorded counterexample must also be the committed one, byte for byte (the search is
      // deterministic for any worker count), unless this run is rewriting the committed files.
      const committedDir = options.committed ?? COMMITTED_TRACES
      if (mismatch === null && contents && protocol.source === undefined && resolve(options.traces) !== resolve(committedDir)) {
        const committed = join(committedDir, protocol.name, `${run.name}.itf.json`)
        const now = contents.itf
        if (!existsSync(committed)) mismatch = `no committed counterexample ${relative(process.cwd(), committed)}`
        else if (readFileSync(committed, "utf8") !== now) mismatch = `the counterexample differs from the committed ${relative(process.cwd(), committed)}`
      }
      const row: VerdictRow = {
        protocol: protocol.name,
        name: run.name,
        variant: run.variant,
        bounds,
        invariant: v?.invariant ?? (run.invariants ? run.invariants.join(", ") : "all"),
        verdict: v ? `VIOLATED (${v.trace.length} states)` : "holds",
        distinct: result.distinct,
        generated: result.generated,
        seconds: result.seconds,
        traceFile,
        asRecorded: mismatch === null,
        mismatch,
        skipped: false
      }
      rows.push(row)
      options.onRow?.(row)
    }
    return rows
  })

const COLUMNS = ["run", "variant", "bounds", "invariant", "verdict", "distinct", "seconds", "trace", "as recorded"]
const cells = (r: VerdictRow) => [
  r.name,
  r.variant,
  r.bounds,
  r.invariant,
  r.verdict,
  r.skipped ? "-" : r.distinct.toLocaleString("en-US"),
  r.skipped ? "-" : r.seconds.toFixed(2),
  r.traceFile ?? "-",
  r.skipped ? "not run" : r.asRecorded ? "yes" : `NO: ${r.mismatch}`
]

/** The table's title line. */
export function verdictsTitle(protocol: Protocol): string {
  const defaults = Object.entries(protocol.defaults).map(([k, v]) => `--${flagName(k)} ${v}`).join(" ")
  return `replcheck verdicts ${protocol.name} (defaults: ${defaults})`
}

export function renderVerdicts(protocol: Protocol, rows: readonly VerdictRow[]): string {
  const body = rows.map(cells)
  const widths = COLUMNS.map((h, k) => Math.max(h.length, ...body.map((b) => b[k]!.length)))
  const line = (cs: string[]) => cs.map((c, k) => c.padEnd(widths[k]!)).join(" | ").trimEnd()
  const bad = rows.filter((r) => !r.asRecorded).length
  const skipped = rows.filter((r) => r.skipped).length
  const ran = rows.length - skipped
  const skippedNote = skipped === 0 ? "" : `; ${skipped} slow run${skipped === 1 ? "" : "s"} skipped (--quick; run verdicts without it for those)`
  return [
    verdictsTitle(protocol),
    line(COLUMNS),
    widths.map((w) => "-".repeat(w)).join("-|-"),
    ...body.map(line),
    (bad === 0 ? `all ${ran} runs gave their recorded verdicts` : `${bad} of ${ran} runs did NOT give their recorded verdicts`) + skippedNote
  ].join("\n")
}
