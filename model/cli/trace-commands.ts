/** `replcheck simulate`, `conform`, `cluster` and `explore` (validate-command.ts has `validate`). */
import { Effect } from "effect"
import { simulateTrace } from "../trace/simulate.js"
import { basename, dirname } from "node:path"
import { renderExplorer } from "../trace/html.js"
import { narrowDiff, renderRejection, validateTrace } from "../trace/validate.js"
import { readItf } from "./validate-command.js"
import { AdapterFailed, conform, spawnAdapter } from "../trace/conform.js"
import { renderAction } from "../trace/counterexample.js"
import { UsageError, type ClusterCommand, type ConformCommand, type ExploreCommand, type SimulateCommand } from "./args.js"
import { Files } from "./files.js"
import { referenceImplementations } from "../../impl/index.js"

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
    // The command names the implementation by its catalog entry; its code loads here.
    const implementation = referenceImplementations.find((r) => r.protocol === cmd.implementation.protocol)!
    const file = cmd.out ?? implementation.defaultOut(cmd.flags)
    const files = yield* Files
    yield* files.checkWritableDir(dirname(file))
    const run = yield* Effect.try({ try: () => implementation.run(cmd.flags), catch: (e) => new UsageError({ message: (e as Error).message }) })
    yield* files.writeAtomic(file, run.lines.join("\n") + "\n").pipe(Effect.tapError(() => Effect.sync(() => run.abort?.())))
    yield* Effect.try({ try: () => run.commit?.(), catch: (e) => new UsageError({ message: (e as Error).message }) })
    const result = yield* Effect.promise(() => validateTrace(cmd.protocol, cmd.protocol.traceMapping ?? { internal: [] }, linesOf(run.lines), file, { internalSteps: 0, ...(run.variant ? { variant: run.variant } : {}) }))
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
      return yield* Effect.fail(new UsageError({ message: `${cmd.file}:1: states: an ITF trace needs a non-empty array of states (objects)` }))
    }
    const out = cmd.out ?? explorerPath(cmd.file)
    yield* files.writeAtomic(out, renderExplorer(doc as Parameters<typeof renderExplorer>[0], basename(cmd.file)))
    process.stdout.write(`wrote ${out} (${d.states.length} states)\n`)
    return 0
  })

