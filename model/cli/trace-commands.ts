/** `replcheck validate` and `replcheck simulate`. */
import { Effect } from "effect"
import { simulateTrace } from "../trace/simulate.js"
import { readFile } from "node:fs/promises"
import { toItfTrace } from "../trace/counterexample.js"
import { renderRejection, TraceInputError, validateItf, validateTrace, type ValidationResult } from "../trace/validate.js"
import { UsageError, type SimulateCommand, type ValidateCommand } from "./args.js"
import { Files } from "./files.js"

/** Validates a trace; exit 0 accepted, 1 rejected. Bad input is a one-line UsageError (exit 2). */
export const runValidate = (cmd: ValidateCommand) =>
  Effect.gen(function* () {
    const files = yield* Files
    const itf = cmd.file.endsWith(".itf.json")
    const lines = itf ? undefined : yield* files.readLines(cmd.file)
    const result: ValidationResult = yield* Effect.tryPromise({
      try: async () =>
        itf
          ? validateItf(cmd.protocol, JSON.parse(await readFile(cmd.file, "utf8")), cmd.file)
          : validateTrace(cmd.protocol, cmd.protocol.traceMapping ?? { internal: [] }, lines!, cmd.file, {
              internalSteps: cmd.internalSteps,
              keepPath: cmd.itf !== undefined
            }),
      catch: (e) =>
        new UsageError({
          message: e instanceof TraceInputError ? e.message : e instanceof SyntaxError ? `${cmd.file}:1: not valid JSON (${e.message})` : `${cmd.file}: ${(e as Error).message}`
        })
    })
    if (result.rejection && cmd.window !== undefined) {
      const w = result.rejection.window
      // The window's states are packed for the bounds the trace was validated at.
      const model = cmd.protocol.build(result.config, "base", { symmetry: false })
      const steps = w.step ? [{ state: w.from }, w.step] : [{ state: w.from }]
      const ctx = { protocol: cmd.protocol.name, variant: "base", config: result.config, invariant: result.rejection.invariant ?? "(trace rejected)", kind: "state" as const }
      yield* files.writeAtomic(cmd.window, JSON.stringify(toItfTrace(model, cmd.protocol.stateSchema, steps, ctx), null, 2) + "\n")
    }
    if (result.path && cmd.itf !== undefined) {
      const model = cmd.protocol.build(result.config, "base", { symmetry: false })
      const ctx = { protocol: cmd.protocol.name, variant: "base", config: result.config, invariant: "(accepted trace)", kind: "state" as const }
      const doc = toItfTrace(model, cmd.protocol.stateSchema, result.path, ctx)
      yield* files.writeAtomic(cmd.itf, JSON.stringify({ ...doc, "#meta": { ...doc["#meta"], description: `the run of the model that ${cmd.file} is` } }, null, 2) + "\n")
    }
    if (cmd.json) {
      const { window: _window, ...rejection } = result.rejection ?? { window: undefined }
      const { path: _path, ...rest } = result
      const peakRssBytes = process.resourceUsage().maxRSS * 1024
      process.stdout.write(JSON.stringify({ ...rest, peakRssBytes, rejection: result.rejection ? { ...rejection, windowFile: cmd.window ?? null } : null }) + "\n")
    }
    else if (result.rejection) process.stdout.write(renderRejection(cmd.file, result.rejection) + "\n")
    else {
      process.stdout.write(
        `accepted: ${cmd.file}: ${result.events.toLocaleString("en-US")} ${itf ? "steps" : "events"} are a run of ${result.protocol} ` +
          `(largest frontier ${result.maxFrontier}, ${result.seconds.toFixed(2)} s, ` +
          `${Math.round(result.events / Math.max(result.seconds, 1e-9)).toLocaleString("en-US")} ${itf ? "steps" : "events"}/s)\n`
      )
    }
    return result.accepted ? 0 : 1
  })

/** Writes a random run of the model as a trace, to --out or stdout. */
export const runSimulate = (cmd: SimulateCommand) =>
  Effect.gen(function* () {
    const model = cmd.protocol.build(cmd.config, "base", { symmetry: false })
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
