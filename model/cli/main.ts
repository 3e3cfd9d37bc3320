/**
 * The `replcheck` command. Exit status: 0 no violation, 1 violation, 2 bad usage or input,
 * 3 internal error (e.g. a model that does not replay deterministically). Errors are one line.
 */
import { Effect, Either } from "effect"
import { WorkerThreads } from "../engine/parallel.js"
import type { SearchFailed } from "../engine/run.js"
import { protocols } from "../protocols/index.js"
import { parseArgs, USAGE, type UsageError } from "./args.js"
import { runCheck } from "./check.js"
import { Files, type FileError } from "./files.js"
import { listJson, renderList, renderProgress, renderReport } from "./render.js"
import { renderVerdicts, runVerdicts } from "./verdicts.js"
import { runCluster, runSidecarClusterCommand, runConform, runSimulate, runValidate } from "./trace-commands.js"

function main(argv: readonly string[]): Effect.Effect<number> {
  const parsed = parseArgs(argv)
  if (Either.isLeft(parsed)) {
    return Effect.sync(() => {
      process.stderr.write(`replcheck: ${parsed.left.message}\n`)
      return 2
    })
  }
  const cmd = parsed.right
  if (cmd.command === "help") return Effect.sync(() => (process.stdout.write(USAGE + "\n"), 0))
  if (cmd.command === "list") {
    return Effect.sync(() => {
      process.stdout.write(cmd.json ? JSON.stringify(listJson(protocols), null, 2) + "\n" : renderList(protocols))
      return 0
    })
  }
  const run: Effect.Effect<number, UsageError | FileError | SearchFailed, WorkerThreads | Files> =
    cmd.command === "cluster"
      ? runCluster(cmd)
      : cmd.command === "cluster-sidecar"
      ? runSidecarClusterCommand(cmd)
      : cmd.command === "conform"
      ? runConform(cmd)
      : cmd.command === "validate"
      ? runValidate(cmd)
      : cmd.command === "simulate"
        ? runSimulate(cmd)
        : cmd.command === "verdicts"
      ? runVerdicts(cmd.protocol, { workers: cmd.workers, traces: cmd.traces }).pipe(
          Effect.map((rows) => {
            process.stdout.write(cmd.json ? JSON.stringify(rows) + "\n" : renderVerdicts(cmd.protocol, rows) + "\n")
            return rows.every((r) => r.asRecorded) ? 0 : 1
          })
        )
      : runCheck(cmd, (p) => process.stderr.write(renderProgress(p) + "\n")).pipe(
          Effect.map((report) => {
            process.stdout.write(cmd.json ? JSON.stringify(report) + "\n" : renderReport(report) + "\n")
            return report.violation ? 1 : 0
          })
        )
  return run.pipe(
    Effect.catchTags({
      UsageError: (e) => Effect.sync(() => (process.stderr.write(`replcheck: ${e.message}\n`), 2)),
      FileError: (e) => Effect.sync(() => (process.stderr.write(`replcheck: ${e.message}\n`), 2)),
      SearchFailed: (e) => Effect.sync(() => (process.stderr.write(`replcheck: internal error: ${e.message}\n`), 3))
    }),
    Effect.provide([WorkerThreads.layer, Files.layer])
  )
}

// A reader that closes the pipe early (`replcheck ... | head`) is not an error of ours.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0)
  throw e
})

Effect.runPromise(main(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    process.stderr.write(`replcheck: internal error: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = 3
  }
)
