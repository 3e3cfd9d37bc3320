/** `replcheck validate`, `simulate`, `conform`, `cluster` and `explore`. */
import { Effect } from "effect"
import { simulateTrace } from "../trace/simulate.js"
import { readdir, readFile, stat } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { renderExplorer } from "../trace/html.js"
import { toItfTrace } from "../trace/counterexample.js"
import { narrowDiff, renderRejection, TraceInputError, validateItf, validateTrace, type ValidationResult } from "../trace/validate.js"
import { AdapterFailed, conform, spawnAdapter } from "../trace/conform.js"
import { renderAction } from "../trace/counterexample.js"
import { UsageError, type ClusterCommand, type ConformCommand, type ExploreCommand, type SimulateCommand, type ValidateCommand } from "./args.js"
import { Files, LineTooLong } from "./files.js"

/** ITF traces are read whole; past this size NDJSON, which is streamed, is the format to use. */
const MAX_ITF_BYTES = 256 * 1024 * 1024

async function readItf(file: string): Promise<string> {
  const size = (await stat(file)).size
  if (size > MAX_ITF_BYTES) {
    throw new Error(`the ITF file is ${Math.ceil(size / 2 ** 20).toLocaleString("en-US")} MiB; ITF traces are read whole, up to ${MAX_ITF_BYTES / 2 ** 20} MiB (NDJSON traces are streamed, with no limit on their length)`)
  }
  return readFile(file, "utf8")
}

/** Validates one trace file: the result, or a one-line UsageError naming file, line and field. */
const validateFile = (cmd: ValidateCommand, file: string) =>
  Effect.gen(function* () {
    const files = yield* Files
    const itf = file.endsWith(".itf.json")
    const lines = itf ? undefined : yield* files.readLines(file).pipe(Effect.mapError((e) => new UsageError({ message: e.message })))
    return yield* Effect.tryPromise({
      try: async (): Promise<ValidationResult> =>
        itf
          ? validateItf(cmd.protocol, JSON.parse(await readItf(file)), file)
          : validateTrace(cmd.protocol, cmd.protocol.traceMapping ?? { internal: [] }, lines!, file, {
              internalSteps: cmd.internalSteps,
              keepPath: cmd.itf !== undefined
            }),
      catch: (e) =>
        new UsageError({
          message: e instanceof TraceInputError || e instanceof LineTooLong ? e.message : e instanceof SyntaxError ? `${file}:1: not valid JSON (${e.message})` : `${file}: ${(e as Error).message}`
        })
    })
  })

const isTrace = (name: string) => name.endsWith(".ndjson") || name.endsWith(".itf.json")

/** The trace files the command names: files as given, directories searched (recursively, sorted) for traces. */
const traceFiles = (paths: readonly string[]) =>
  Effect.tryPromise({
    try: async () => {
      const out: string[] = []
      for (const path of paths) {
        const info = await stat(path).catch(() => null)
        if (info === null || !info.isDirectory()) {
          out.push(path)
          continue
        }
        const found = (await readdir(path, { recursive: true, withFileTypes: true }))
          .filter((e) => e.isFile() && isTrace(e.name))
          .map((e) => join(e.parentPath, e.name))
          .sort()
        if (found.length === 0) throw new Error(`${path}: no traces (*.ndjson or *.itf.json) in this directory`)
        out.push(...found)
      }
      return out
    },
    catch: (e) => new UsageError({ message: (e as Error).message })
  })

/**
 * Validates traces. One trace: exit 0 accepted, 1 rejected, and bad input is a one-line
 * UsageError (exit 2). Several (or a directory): a line each and a summary, in one process;
 * exit 2 when any was bad input, else 1 when any was rejected, else 0.
 */
export const runValidate = (cmd: ValidateCommand) =>
  Effect.gen(function* () {
    const traces = yield* traceFiles(cmd.paths)
    if (traces.length === 1 && cmd.paths.length === 1 && traces[0] === cmd.paths[0]) return yield* validateOne(cmd, traces[0]!)
    if (cmd.window !== undefined || cmd.itf !== undefined) {
      return yield* Effect.fail(new UsageError({ message: `${cmd.window !== undefined ? "--window" : "--itf"} takes one trace, not a batch of ${traces.length}` }))
    }
    return yield* validateBatch(cmd, traces)
  })

const validateOne = (cmd: ValidateCommand, file: string) =>
  Effect.gen(function* () {
    const files = yield* Files
    const itf = file.endsWith(".itf.json")
    const result = yield* validateFile(cmd, file)
    if (result.rejection && cmd.window !== undefined) {
      const w = result.rejection.window
      // The window's states are packed for the bounds the trace was validated at.
      const model = cmd.protocol.build(result.config)
      const steps = w.step ? [{ state: w.from }, w.step] : [{ state: w.from }]
      const ctx = { protocol: cmd.protocol.name, variant: "base", config: result.config, invariant: result.rejection.invariant ?? "(trace rejected)", kind: "state" as const }
      yield* files.writeAtomic(cmd.window, JSON.stringify(toItfTrace(model, steps, ctx), null, 2) + "\n")
    }
    if (result.path && cmd.itf !== undefined) {
      const model = cmd.protocol.build(result.config)
      const ctx = { protocol: cmd.protocol.name, variant: "base", config: result.config, invariant: "(accepted trace)", kind: "state" as const }
      const doc = toItfTrace(model, result.path, ctx)
      yield* files.writeAtomic(cmd.itf, JSON.stringify({ ...doc, "#meta": { ...doc["#meta"], description: `the run of the model that ${file} is` } }, null, 2) + "\n")
    }
    if (cmd.json) {
      const { window: _window, ...rejection } = result.rejection ?? { window: undefined }
      const { path: _path, ...rest } = result
      const peakRssBytes = process.resourceUsage().maxRSS * 1024
      process.stdout.write(JSON.stringify({ ...rest, peakRssBytes, rejection: result.rejection ? { ...rejection, windowFile: cmd.window ?? null } : null }) + "\n")
    }
    else if (result.rejection) process.stdout.write(renderRejection(file, result.rejection) + "\n")
    else {
      process.stdout.write(
        `accepted: ${file}: ${result.events.toLocaleString("en-US")} ${itf ? "steps" : "events"} are a run of ${result.protocol} ` +
          `(largest frontier ${result.maxFrontier}, ${result.seconds.toFixed(2)} s, ` +
          `${Math.round(result.events / Math.max(result.seconds, 1e-9)).toLocaleString("en-US")} ${itf ? "steps" : "events"}/s)\n`
      )
    }
    return result.accepted ? 0 : 1
  })

/** One trace of a batch, as --json reports it. */
interface BatchRow {
  readonly file: string
  readonly verdict: "accepted" | "rejected" | "bad-input"
  readonly events?: number
  /** The first line of the rejection's diagnostic, or the bad input's message. */
  readonly diagnostic?: string
}

const validateBatch = (cmd: ValidateCommand, traces: readonly string[]) =>
  Effect.gen(function* () {
    const started = performance.now()
    const rows: BatchRow[] = []
    for (const file of traces) {
      const outcome = yield* validateFile(cmd, file).pipe(Effect.either)
      const row: BatchRow =
        outcome._tag === "Left"
          ? { file, verdict: "bad-input", diagnostic: outcome.left.message }
          : outcome.right.rejection
            ? { file, verdict: "rejected", events: outcome.right.events, diagnostic: renderRejection(file, outcome.right.rejection).split("\n")[0]! }
            : { file, verdict: "accepted", events: outcome.right.events }
      rows.push(row)
      if (!cmd.json) {
        const line = row.verdict === "accepted" ? `accepted: ${file}: ${row.events!.toLocaleString("en-US")} events` : row.verdict === "rejected" ? row.diagnostic! : `bad input: ${row.diagnostic!}`
        process.stdout.write(line + "\n")
      }
    }
    const count = (v: BatchRow["verdict"]) => rows.filter((r) => r.verdict === v).length
    const summary = { traces: rows.length, accepted: count("accepted"), rejected: count("rejected"), badInput: count("bad-input"), seconds: Math.round(performance.now() - started) / 1000 }
    if (cmd.json) process.stdout.write(JSON.stringify({ ...summary, rows }) + "\n")
    else process.stdout.write(`${summary.traces} traces: ${summary.accepted} accepted, ${summary.rejected} rejected, ${summary.badInput} bad input (${summary.seconds.toFixed(2)} s)\n`)
    return summary.badInput > 0 ? 2 : summary.rejected > 0 ? 1 : 0
  })

/** Writes a random run of the model as a trace, to --out or stdout. */
export const runSimulate = (cmd: SimulateCommand) =>
  Effect.gen(function* () {
    const model = cmd.protocol.build(cmd.config)
    const lines = simulateTrace(cmd.protocol.name, cmd.config, model, { steps: cmd.steps, seed: cmd.seed, observe: cmd.observe, hidden: cmd.hidden, prefer: cmd.prefer })
    const text = lines.join("\n") + "\n"
    if (cmd.out === undefined) process.stdout.write(text)
    else {
      const files = yield* Files
      yield* files.writeAtomic(cmd.out, text)
      process.stderr.write(`wrote ${cmd.out}: ${lines.length - 1} events\n`)
    }
    return 0
  })

const show = (v: unknown) => JSON.stringify(v)

/** Drives an implementation through its adapter; exit 0 conforms, 1 diverged, 2 adapter failure. */
export const runConform = (cmd: ConformCommand) =>
  Effect.acquireUseRelease(
    Effect.sync(() => spawnAdapter(cmd.adapter)),
    (link) =>
      Effect.tryPromise({
        try: async () => {
          const model = cmd.protocol.build(cmd.config)
          const hello = { type: "hello" as const, version: 1 as const, protocol: cmd.protocol.name, config: cmd.config, nodes: Array.from({ length: model.layout.nodes }, (_, k) => k + 1) }
          const result = await conform(model, hello, link, cmd.mode, { allowEmptyObservation: cmd.allowEmptyObservation })
          const how =
            cmd.mode.kind === "depth"
              ? `every step within depth ${cmd.mode.depth}`
              : cmd.mode.kind === "implementation"
                ? `${cmd.mode.runs} runs of up to ${cmd.mode.steps} steps the implementation chose, seed ${cmd.mode.seed}`
                : `${cmd.mode.runs} ${cmd.mode.guided ? "guided " : ""}random runs of up to ${cmd.mode.steps} steps, seed ${cmd.mode.seed}`
          const never = Object.entries(result.coverage).filter(([, n]) => n === 0).map(([a]) => a)
          const coverage = `  driven: ${Object.entries(result.coverage).map(([a, n]) => `${a} ${n.toLocaleString("en-US")}`).join(", ")}\n${never.length > 0 ? `  never driven: ${never.join(", ")}\n` : ""}`
          if (cmd.json) process.stdout.write(JSON.stringify({ ...result, divergence: result.divergence && { ...result.divergence, run: result.divergence.run.map((s) => s.action ?? "reset") } }) + "\n")
          else if (result.divergence === null) {
            process.stdout.write(`conforms: ${result.implementation}: ${result.steps.toLocaleString("en-US")} replies in ${result.runs.toLocaleString("en-US")} runs match the model (${how}), ${result.seconds.toFixed(2)} s\n${coverage}`)
          } else {
            const d = result.divergence
            const last = d.run[d.run.length - 1]!
            const lines = [
              `diverged: ${result.implementation}: run ${result.runs}, ${last.action ? `step ${d.run.length - 1}, ${renderAction(last.action)}` : "after reset"}`,
              ...(d.refused !== undefined
                ? [`  the implementation took a step the model does not allow here: ${d.refused}`]
                : d.error
                ? [`  the adapter reported an error: ${d.error}`]
                : [
                    "  variables that differ (model vs implementation):",
                    ...d.differences.flatMap((x) =>
                      (x.asSet ? [{ path: x.variable, expected: x.model, observed: x.implementation }] : narrowDiff(x.variable, x.model, x.implementation)).map((n) => `    ${n.path}: ${show(n.expected)} vs ${show(n.observed)}`)
                    )
                  ]),
              "  the run:",
              ...d.run.map((s, k) => `    ${k}. ${s.action ? renderAction(s.action) : "reset"}`)
            ]
            process.stdout.write(lines.join("\n") + "\n")
          }
          return result.divergence === null ? 0 : 1
        },
        catch: (e) => new UsageError({ message: e instanceof AdapterFailed ? `adapter: ${e.message}` : `conform: ${(e as Error).message}` })
      }),
    (link) => Effect.promise(() => link.close())
  )

async function* linesOf(lines: readonly string[]) {
  yield* lines
}

/** Runs a reference implementation, writes its trace and validates it; exit 0 accepted, 1 rejected or broken. */
export const runCluster = (cmd: ClusterCommand) =>
  Effect.gen(function* () {
    const file = cmd.out ?? cmd.implementation.defaultOut(cmd.flags)
    const files = yield* Files
    yield* files.checkWritableDir(dirname(file))
    const run = yield* Effect.try({ try: () => cmd.implementation.run(cmd.flags), catch: (e) => new UsageError({ message: (e as Error).message }) })
    yield* files.writeAtomic(file, run.lines.join("\n") + "\n").pipe(Effect.tapError(() => Effect.sync(() => run.abort?.())))
    yield* Effect.try({ try: () => run.commit?.(), catch: (e) => new UsageError({ message: (e as Error).message }) })
    const result = yield* Effect.promise(() => validateTrace(cmd.protocol, cmd.protocol.traceMapping ?? { internal: [] }, linesOf(run.lines), file, { internalSteps: 0 }))
    const counts = new Map<string, number>()
    for (const line of run.lines.slice(1)) {
      const action = (JSON.parse(line) as { action: string }).action
      counts.set(action, (counts.get(action) ?? 0) + 1)
    }
    const ok = result.accepted && run.broken.length === 0
    if (cmd.json) {
      const flags = Object.fromEntries(Object.entries(cmd.flags).filter(([, v]) => v !== undefined))
      process.stdout.write(JSON.stringify({ protocol: cmd.protocol.name, ...flags, events: run.lines.length - 1, traceFile: file, accepted: result.accepted, rejection: result.rejection, broken: run.broken, actions: Object.fromEntries(counts) }) + "\n")
    } else {
      process.stdout.write(
        [
          ...run.summary,
          `trace: ${file}`,
          result.rejection ? renderRejection(file, result.rejection) : `validation: accepted: every event is a step of the ${cmd.protocol.name} model and keeps its invariants`,
          ...run.broken.map((b) => `implementation invariant broken: ${b}`)
        ].join("\n") + "\n"
      )
    }
    if (!ok) {
      // The same flags give the same run (a file store's directory is not needed to replay it).
      const flags = Object.entries(cmd.implementation.flags)
        .filter(([name, spec]) => cmd.flags[name] !== undefined && spec.kind !== "dir")
        .map(([name]) => {
          const v = cmd.flags[name]
          return `--${name} ${Array.isArray(v) ? v.join(",") || "none" : v}`
        })
      process.stderr.write(`replay the run with: npx replcheck cluster ${cmd.protocol.name} ${flags.join(" ")}\n`)
    }
    return ok ? 0 : 1
  })

/** The HTML page of an ITF trace: next to it (`x.itf.json` -> `x.html`) unless `--out` says where. */
export const explorerPath = (file: string) => (file.endsWith(".itf.json") ? file.slice(0, -".itf.json".length) : file) + ".html"

/** `replcheck explore`: writes the trace explorer page of an ITF trace. */
export const runExplore = (cmd: ExploreCommand) =>
  Effect.gen(function* () {
    const files = yield* Files
    const doc = yield* Effect.tryPromise({
      try: async () => JSON.parse(await readItf(cmd.file)) as unknown,
      catch: (e) => new UsageError({ message: e instanceof SyntaxError ? `${cmd.file}:1: not valid JSON (${e.message})` : `${cmd.file}: ${(e as Error).message}` })
    })
    const d = doc as { states?: unknown }
    if (d === null || typeof d !== "object" || !Array.isArray(d.states) || d.states.length === 0 || !d.states.every((s) => s !== null && typeof s === "object")) {
      return yield* new UsageError({ message: `${cmd.file}:1: states: an ITF trace needs a non-empty array of states (objects)` })
    }
    const out = cmd.out ?? explorerPath(cmd.file)
    yield* files.writeAtomic(out, renderExplorer(doc as Parameters<typeof renderExplorer>[0], basename(cmd.file)))
    process.stdout.write(`wrote ${out} (${d.states.length} states)\n`)
    return 0
  })

