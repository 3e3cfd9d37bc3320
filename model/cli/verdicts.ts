/**
 * `replcheck verdicts <protocol>`: runs every entry of the protocol's manifest (the base model
 * and each variant, at its recorded bounds), prints one table, and says whether each result is
 * the recorded one. Each recorded counterexample is written to `traces` (by default
 * traces/out/<protocol>/; `npm run traces` points it at the committed traces/<protocol>/).
 */
import { join } from "node:path"
import { Effect, Either } from "effect"
import { decodeConfig, flagName } from "../engine/config.js"
import type { ManifestRun } from "../engine/manifest.js"
import type { Model, Protocol } from "../engine/model.js"
import { runSearch } from "../engine/run.js"
import type { TraceStep } from "../engine/path.js"
import { renderTrace, toItfTrace } from "../trace/counterexample.js"
import { workerScript } from "../protocols/index.js"
import { UsageError } from "./args.js"
import { Files } from "./files.js"

export interface VerdictRow {
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
}

/** The committed files of a counterexample: ITF JSON and text. */
export function traceFileContents(
  protocol: Protocol,
  model: Model,
  config: Record<string, number>,
  violation: { invariant: string; kind: "state" | "step" | "deadlock"; trace: readonly TraceStep[] }
): { itf: string; text: string } {
  const ctx = { protocol: protocol.name, variant: model.variant, config, invariant: violation.invariant, kind: violation.kind }
  return {
    itf: JSON.stringify(toItfTrace(model, protocol.stateSchema, violation.trace, ctx), null, 2) + "\n",
    text: renderTrace(model, protocol.stateSchema, violation.trace, ctx)
  }
}

/** Full bounds of a manifest run (defaults overridden by the run's config). */
export function runConfig<C extends Record<string, number>>(protocol: Protocol<C>, run: ManifestRun): C {
  const config = decodeConfig(protocol.config, run.config as Partial<C>)
  if (Either.isLeft(config)) throw new RangeError(`manifest run ${run.name}: ${config.left}`)
  return config.right
}

function compare(run: ManifestRun, got: { violated: string | null; length: number | null; distinct: number; generated: number; depth: number }): string | null {
  const want = run.result === "violation" ? `violation of ${run.violated} in ${run.traceLength} states` : "no violation"
  const have = got.violated ? `violation of ${got.violated} in ${got.length} states` : "no violation"
  if (want !== have) return `expected ${want}, got ${have}`
  for (const k of ["generated", "distinct", "depth"] as const) {
    if (run[k] !== undefined && run[k] !== got[k]) return `expected ${k} ${run[k]}, got ${got[k]}`
  }
  return null
}

export const runVerdicts = (protocol: Protocol, options: { workers: number; traces: string }) =>
  Effect.gen(function* () {
    const manifest = protocol.manifest
    if (!manifest) return yield* Effect.fail(new UsageError({ message: `${protocol.name} has no manifest of expected verdicts` }))
    const rows: VerdictRow[] = []
    for (const run of manifest.runs) {
      const config = yield* Effect.try({ try: () => runConfig(protocol, run), catch: (e) => new UsageError({ message: (e as Error).message }) })
      const model = protocol.build(config, run.variant, { symmetry: false })
      const ref = { protocol: protocol.name, variant: run.variant, config, symmetry: false }
      const result = yield* runSearch(workerScript, ref, model, { workers: options.workers, symmetry: false, deadlock: false, invariants: run.invariants })
      const v = result.violation
      let traceFile: string | null = null
      if (v && run.trace) {
        const files = yield* Files
        const contents = traceFileContents(protocol, model, config, v)
        traceFile = join(options.traces, `${run.name}.itf.json`)
        yield* files.writeAtomic(traceFile, contents.itf)
        yield* files.writeAtomic(join(options.traces, `${run.name}.txt`), contents.text)
      }
      const mismatch = compare(run, {
        violated: v?.invariant ?? null,
        length: v?.trace.length ?? null,
        distinct: result.distinct,
        generated: result.generated,
        depth: result.depth
      })
      rows.push({
        name: run.name,
        variant: run.variant,
        bounds: Object.entries(run.config).map(([k, n]) => `--${flagName(k)} ${n}`).join(" ") || "defaults",
        invariant: v?.invariant ?? (run.invariants ? run.invariants.join(", ") : "all"),
        verdict: v ? `VIOLATED (${v.trace.length} states)` : "holds",
        distinct: result.distinct,
        generated: result.generated,
        seconds: result.seconds,
        traceFile,
        asRecorded: mismatch === null,
        mismatch
      })
    }
    return rows
  })

export function renderVerdicts(protocol: Protocol, rows: readonly VerdictRow[]): string {
  const header = ["run", "variant", "bounds", "invariant", "verdict", "distinct", "seconds", "trace", "as recorded"]
  const body = rows.map((r) => [
    r.name,
    r.variant,
    r.bounds,
    r.invariant,
    r.verdict,
    r.distinct.toLocaleString("en-US"),
    r.seconds.toFixed(2),
    r.traceFile ?? "-",
    r.asRecorded ? "yes" : `NO: ${r.mismatch}`
  ])
  const widths = header.map((h, k) => Math.max(h.length, ...body.map((b) => b[k]!.length)))
  const line = (cells: string[]) => cells.map((c, k) => c.padEnd(widths[k]!)).join(" | ").trimEnd()
  const defaults = Object.entries(protocol.config.defaults).map(([k, v]) => `--${flagName(k)} ${v}`).join(" ")
  const bad = rows.filter((r) => !r.asRecorded).length
  return [
    `replcheck verdicts ${protocol.name} (defaults: ${defaults})`,
    line(header),
    widths.map((w) => "-".repeat(w)).join("-|-"),
    ...body.map(line),
    bad === 0 ? `all ${rows.length} runs gave their recorded verdicts` : `${bad} of ${rows.length} runs did NOT give their recorded verdicts`
  ].join("\n")
}
