/** `replcheck validate` and `replcheck simulate`. */
import { Effect } from "effect"
import { simulateTrace } from "../trace/simulate.js"
import { renderRejection, TraceInputError, validateTrace } from "../trace/validate.js"
import { UsageError, type SimulateCommand, type ValidateCommand } from "./args.js"
import { Files } from "./files.js"

/** Validates a trace; exit 0 accepted, 1 rejected. Bad input is a one-line UsageError (exit 2). */
export const runValidate = (cmd: ValidateCommand) =>
  Effect.gen(function* () {
    const files = yield* Files
    const lines = yield* files.readLines(cmd.file)
    const result = yield* Effect.tryPromise({
      try: () => validateTrace(cmd.protocol, cmd.protocol.traceMapping ?? { internal: [] }, lines, cmd.file, { internalSteps: cmd.internalSteps }),
      catch: (e) => new UsageError({ message: e instanceof TraceInputError ? e.message : `${cmd.file}: ${(e as Error).message}` })
    })
    if (cmd.json) process.stdout.write(JSON.stringify(result) + "\n")
    else if (result.rejection) process.stdout.write(renderRejection(cmd.file, result.rejection) + "\n")
    else {
      process.stdout.write(
        `accepted: ${cmd.file}: ${result.events.toLocaleString("en-US")} events are a run of ${result.protocol} ` +
          `(largest frontier ${result.maxFrontier}, ${result.seconds.toFixed(2)} s, ` +
          `${Math.round(result.events / Math.max(result.seconds, 1e-9)).toLocaleString("en-US")} events/s)\n`
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
