/**
 * `replcheck verdicts [<protocol>]`: runs every run of a protocol's manifest (the base model and
 * each variant, at its recorded bounds), prints one table per protocol, and says whether each
 * result is the recorded one. Each recorded counterexample is written to `<traces>/<protocol>/`
 * (by default traces/out/; `npm run traces` points it at the committed traces/).
 */
import { existsSync, readFileSync } from "node:fs"
import { join, relative, resolve } from "node:path"
import { Effect, Either } from "effect"
import { decodeConfig, flagName } from "../engine/config.js"
import { decodeManifest, type Manifest, type ManifestRun } from "../engine/manifest.js"
import { checkLiveness } from "../engine/liveness.js"
import { runSearch } from "../engine/run.js"
import type { TraceStep } from "../engine/path.js"
import type { KitModel, Protocol } from "../kit/index.js"
import { renderTrace, toItfTrace } from "../trace/counterexample.js"
import { workerScript } from "../protocols/load.js"
import { packageRoot } from "../package-root.js"
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
const COMMITTED_TRACES = join(packageRoot(import.meta.url), "traces")

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

/** What a run checks, for its row: its invariants, "all" of the model's, or "none" (counts only). */
const invariantsOf = (run: ManifestRun) => (run.invariants === undefined ? "all" : run.invariants.length === 0 ? "none" : run.invariants.join(", "))

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
  options: { workers: number; traces: string; quick?: boolean; /** sees the manifest's run names before the first run */ onStart?: (runNames: readonly string[]) => void; onRow?: (row: VerdictRow) => void; /** default: the repository's traces/ */ committed?: string }
) =>
  Effect.gen(function* () {
    const manifest = yield* Effect.tryPromise({ try: () => manifestOf(protocol), catch: (e) => new UsageError({ message: (e as Error).message }) })
    // Where the counterexamples go, checked before the first run rather than after it.
    if (manifest.runs.some((r) => r.trace && !(options.quick && r.slow))) yield* (yield* Files).checkWritableDir(join(options.traces, protocol.name))
    const rows: VerdictRow[] = []
    options.onStart?.(manifest.runs.map((r) => r.name))
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
          invariant: invariantsOf(run),
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
          verdict: failed ? `VIOLATED (lasso, ${failed.lasso!.steps.length} states)` : "holds",
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
        invariant: v?.invariant ?? (invariantsOf(run)),
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

/** The widest a verdicts line gets: names, bounds and mismatches longer than fits wrap. */
export const VERDICTS_COLUMNS = 100

/** Fixed widths of a row's first line: mark, verdict, distinct states, seconds (and their gaps). */
const MARK = 4
const VERDICT = 27
const DISTINCT = 11
const SECONDS = 8
const NAME_MAX = VERDICTS_COLUMNS - MARK - 2 - VERDICT - 2 - DISTINCT - SECONDS

/** The table's title line. */
export function verdictsTitle(protocol: Protocol): string {
  const defaults = Object.entries(protocol.defaults).map(([k, v]) => `--${flagName(k)} ${v}`).join(" ")
  return `replcheck verdicts ${protocol.name} (defaults: ${defaults})`
}

/**
 * How the rows of one table line up: the run column is as wide as the manifest's longest name,
 * up to what leaves room for the rest; a longer name has its first line to itself.
 */
export interface VerdictsLayout {
  readonly nameWidth: number
}

export function verdictsLayout(runNames: readonly string[]): VerdictsLayout {
  return { nameWidth: Math.min(NAME_MAX, Math.max(3, ...runNames.map((n) => n.length))) }
}

/**
 * `items` joined by ", " in lines of at most `width` columns after `indent`, breaking between
 * items, and between words only inside an item too long for a line of its own.
 */
function wrap(items: readonly string[], indent: string, width = VERDICTS_COLUMNS): string[] {
  const lines: string[] = []
  let line = ""
  const room = width - indent.length
  // Every item but the last is followed by a comma, which must fit on its line too.
  const add = (piece: string, sep: string, limit: number) => {
    if (line !== "" && line.length + sep.length + piece.length > limit) {
      lines.push(indent + line + sep.trimEnd())
      line = piece
    } else line = line === "" ? piece : line + sep + piece
  }
  items.forEach((item, k) => {
    const sep = k === 0 ? "" : ", "
    const limit = k === items.length - 1 ? room : room - 1
    if (item.length <= limit) add(item, sep, limit)
    else item.split(" ").forEach((word, w) => add(word, w === 0 ? sep : " ", limit))
  })
  if (line !== "") lines.push(indent + line)
  return lines
}

/** The title and the column names, printed before the first run finishes. */
export function renderVerdictsHeader(protocol: Protocol, layout: VerdictsLayout): string {
  return [wrap([verdictsTitle(protocol)], "").join("\n"), firstLine("", "run", "verdict", "distinct", "seconds", layout)].join("\n")
}

function firstLine(mark: string, name: string, verdict: string, distinct: string, seconds: string, layout: VerdictsLayout): string {
  const rest = `${verdict.padEnd(VERDICT)}  ${distinct.padStart(DISTINCT)} ${seconds.padStart(SECONDS - 1)}`.trimEnd()
  if (name.length <= layout.nameWidth && MARK + layout.nameWidth + 2 + rest.length <= VERDICTS_COLUMNS) return `${mark.padEnd(MARK)}${name.padEnd(layout.nameWidth)}  ${rest}`
  // Under the long name, the rest in its columns, or moved left as far as it must to fit.
  return `${mark.padEnd(MARK)}${name}\n${" ".repeat(Math.max(MARK + 2, Math.min(MARK + layout.nameWidth + 2, VERDICTS_COLUMNS - rest.length)))}${rest}`
}

/**
 * One run, printed as it finishes: a first line (ok, NO or -- as the verdict is recorded, not, or
 * the run was skipped; run, verdict, distinct states, seconds), then what ran (variant, bounds,
 * invariants, the counterexample written) and, for a run not as recorded, what differs.
 */
export function renderVerdictRow(r: VerdictRow, layout: VerdictsLayout): string {
  const mark = r.skipped ? "--" : r.asRecorded ? "ok" : "NO"
  const lines = [firstLine(mark, r.name, r.verdict, r.skipped ? "-" : r.distinct.toLocaleString("en-US"), r.skipped ? "-" : r.seconds.toFixed(2), layout)]
  const ran = [`variant ${r.variant}`, r.bounds, r.invariant === "all" ? "all invariants" : r.invariant === "none" ? "no invariants" : r.invariant, ...(r.traceFile ? [`-> ${r.traceFile}`] : [])]
  lines.push(...wrap(ran, " ".repeat(MARK + 2)))
  if (!r.skipped && !r.asRecorded) lines.push(...wrap([`NOT AS RECORDED: ${r.mismatch}`], " ".repeat(MARK + 2)))
  return lines.join("\n")
}

/** The line under a table: whether every run gave its recorded verdict. */
export function renderVerdictsSummary(rows: readonly VerdictRow[]): string {
  const bad = rows.filter((r) => !r.asRecorded).length
  const skipped = rows.filter((r) => r.skipped).length
  const ran = rows.length - skipped
  const skippedNote = skipped === 0 ? "" : `; ${skipped} slow run${skipped === 1 ? "" : "s"} skipped (--quick; run verdicts without it for those)`
  return wrap([(bad === 0 ? `all ${ran} runs gave their recorded verdicts` : `${bad} of ${ran} runs did NOT give their recorded verdicts`) + skippedNote], "").join("\n")
}

/** A whole table at once (what the streamed header, rows and summary add up to). */
export function renderVerdicts(protocol: Protocol, rows: readonly VerdictRow[]): string {
  const layout = verdictsLayout(rows.map((r) => r.name))
  return [renderVerdictsHeader(protocol, layout), ...rows.map((r) => renderVerdictRow(r, layout)), renderVerdictsSummary(rows)].join("\n")
}
