/**
 * The `replcheck` command. Exit status: 0 no violation, 1 violation, 2 bad usage or input,
 * 3 internal error (e.g. a model that does not replay deterministically). Errors are one line.
 */
import { Effect } from "effect"
import { WorkerThreads } from "../engine/parallel.js"
import type { SearchFailed } from "../engine/run.js"
import { tuneV8 } from "../engine/tuning.js"
import type { Protocol } from "../kit/index.js"
import { builtInProtocols } from "../protocols/index.js"
import { parseArgs, resolveProtocol, UsageError } from "./args.js"
import { helpText } from "./help.js"
import { runCheck } from "./check.js"
import { describeProtocol, renderDescription } from "./describe.js"
import { renderSimulation, runSimulation } from "./simulation.js"
import { version } from "./fast.js"
import { Files, type FileError } from "./files.js"
import { listText } from "./list.js"
import { renderCheckpoint, renderProgress, renderReport } from "./render.js"
import { renderVerdictRow, renderVerdictsHeader, renderVerdictsSummary, runVerdicts, verdictsLayout, type VerdictRow } from "./verdicts.js"
import { renderLiveness, runLiveness } from "./liveness.js"
import { runCluster, runConform, runExplore, runSimulate } from "./trace-commands.js"
import { runValidate } from "./validate-command.js"

/** The command's protocol: a built-in name, or a model module loaded (and compiled) by path. */
const protocolOf = (argv: readonly string[]): Effect.Effect<Protocol | undefined, UsageError> =>
  Effect.tryPromise({ try: () => resolveProtocol(argv), catch: (e) => e as UsageError })

/** The protocols whose manifests `verdicts` runs: the one named, or every built-in one that has a manifest. */
function verdictsProtocols(protocol: Protocol | undefined): Effect.Effect<readonly Protocol[], UsageError> {
  const withManifest = builtInProtocols.filter((p) => p.manifest !== undefined)
  if (protocol === undefined) return Effect.succeed(withManifest)
  if (protocol.manifest === undefined) {
    return Effect.fail(new UsageError({ message: `${protocol.name} has no recorded verdicts (a manifest; built-in protocols with one: ${withManifest.map((p) => p.name).join(", ")})` }))
  }
  return Effect.succeed([protocol])
}

function main(argv: readonly string[]): Effect.Effect<number> {
  return protocolOf(argv).pipe(
    Effect.flatMap((protocol) => command(argv, protocol)),
    Effect.catchTag("UsageError", (e) => Effect.sync(() => (process.stderr.write(`replcheck: ${e.message}\n`), 2)))
  )
}

function command(argv: readonly string[], protocol: Protocol | undefined): Effect.Effect<number> {
  const parsed = parseArgs(argv, protocol)
  if (!parsed.ok) {
    return Effect.sync(() => {
      process.stderr.write(`replcheck: ${parsed.error.message}\n`)
      return 2
    })
  }
  const cmd = parsed.value
  if (cmd.command === "help") return Effect.promise(() => helpText(cmd.topic, protocol ?? cmd.protocol)).pipe(Effect.map((text) => (process.stdout.write(text + "\n"), 0)))
  if (cmd.command === "version") return Effect.sync(() => (process.stdout.write(`replcheck ${version()}\n`), 0))
  if (cmd.command === "describe") {
    return Effect.sync(() => {
      const d = describeProtocol(cmd.protocol, cmd.config, undefined, cmd.variant)
      process.stdout.write(cmd.json ? JSON.stringify(d, null, 2) + "\n" : renderDescription(d) + "\n")
      return 0
    })
  }
  if (cmd.command === "list") return Effect.promise(() => listText(cmd.json)).pipe(Effect.map((text) => (process.stdout.write(text), 0)))
  const run: Effect.Effect<number, UsageError | FileError | SearchFailed, WorkerThreads | Files> =
    cmd.command === "explore"
      ? runExplore(cmd)
      : cmd.command === "cluster"
      ? runCluster(cmd)
      : cmd.command === "conform"
        ? runConform(cmd)
        : cmd.command === "validate"
          ? Effect.tryPromise({ try: () => runValidate(cmd), catch: (e) => e }).pipe(Effect.catchAll((e) => (e instanceof UsageError ? Effect.fail(e) : Effect.die(e))))
          : cmd.command === "simulate"
            ? runSimulate(cmd)
            : cmd.command === "verdicts"
              ? verdictsProtocols(cmd.protocol).pipe(Effect.flatMap((protocols) => Effect.forEach(protocols, (p, k) => {
                  // Tables stream row by row, each run as it finishes (the JSON form prints all rows at the end).
                  const print = (text: string) => cmd.json || process.stdout.write(text + "\n")
                  let layout = verdictsLayout([])
                  return runVerdicts(p, {
                    workers: cmd.workers,
                    traces: cmd.traces,
                    quick: cmd.quick,
                    onStart: (names) => {
                      layout = verdictsLayout(names)
                      print(`${k > 0 ? "\n" : ""}${renderVerdictsHeader(p, layout)}`)
                    },
                    onRow: (row) => print(renderVerdictRow(row, layout))
                  }).pipe(Effect.tap((rows) => Effect.sync(() => print(renderVerdictsSummary(rows)))))
                }).pipe(
                  Effect.map((tables) => {
                    const rows: VerdictRow[] = tables.flat()
                    if (cmd.json) process.stdout.write(JSON.stringify(rows) + "\n")
                    return rows.every((r) => r.asRecorded) ? 0 : 1
                  })
                )))
              : cmd.command === "check" && cmd.liveness !== undefined
                ? runLiveness({ ...cmd, liveness: cmd.liveness }).pipe(
                    Effect.map((report) => {
                      process.stdout.write(cmd.json ? JSON.stringify(report) + "\n" : renderLiveness(report) + "\n")
                      return report.verdict === "ok" ? 0 : 1
                    })
                  )
              : cmd.command === "check" && cmd.simulate !== undefined
                ? runSimulation({ ...cmd, simulate: cmd.simulate }, (p) => process.stderr.write(`progress: ${p.seconds.toFixed(0)} s, ${p.runs.toLocaleString("en-US")} runs, ${p.steps.toLocaleString("en-US")} steps\n`)).pipe(
                    Effect.map((report) => {
                      process.stdout.write(cmd.json ? JSON.stringify(report) + "\n" : renderSimulation(report) + "\n")
                      return report.violation ? 1 : 0
                    })
                  )
              : runCheck(
                  cmd,
                  (p) => process.stderr.write(renderProgress(p) + "\n"),
                  (c) => process.stderr.write(renderCheckpoint(c) + "\n")
                ).pipe(
                  Effect.map((report) => {
                    process.stdout.write(cmd.json ? JSON.stringify(report) + "\n" : renderReport(report) + "\n")
                    return report.violation ? 1 : 0
                  })
                )
  return run.pipe(
    Effect.catchTags({
      UsageError: (e) => Effect.sync(() => (process.stderr.write(`replcheck: ${e.message}\n`), 2)),
      FileError: (e) => Effect.sync(() => (process.stderr.write(`replcheck: ${e.message}\n`), 2)),
      SearchFailed: (e) => Effect.sync(() => (process.stderr.write(`replcheck: ${e.files ? "" : "internal error: "}${e.message}\n`), 3))
    }),
    Effect.provide([WorkerThreads.layer, Files.layer])
  )
}

// A reader that closes the pipe early (`replcheck ... | head`) is not an error of ours.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0)
  throw e
})

tuneV8()
Effect.runPromise(main(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    process.stderr.write(`replcheck: internal error: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = 3
  }
)
