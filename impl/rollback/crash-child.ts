/**
 * A process that runs one file-backed rollback (after the startup step, `resume`) and kills itself
 * with SIGKILL at a failpoint, for the real crash test (test/impl/rollback/crash.test.ts). Usage:
 *   node dist/impl/rollback/crash-child.js <data dir> <input.json> <failpoint>
 * Failpoints: persist-before-fsync, persist-after-fsync, persist-after-rename (inside the rollback
 * file's write), after-marker (the event marked pending), after-restore (key versions restored,
 * the term lock held), after-truncate, after-emit-append (the event appended, the marker not yet
 * cleared), after-read, after-emit, after-rejoin (between steps); "none" runs to the end.
 */
import { readFileSync } from "node:fs"
import { Effect, Layer } from "effect"
import { RollbackCoordinator } from "./coordinator.js"
import { fileTransport } from "./file-transport.js"
import { RollbackTransport, type RollbackTransportService } from "./transport.js"
import type { RollbackInput } from "./types.js"

const [dir, inputFile, failpoint] = process.argv.slice(2) as [string, string, string]
const input = JSON.parse(readFileSync(inputFile, "utf8")) as RollbackInput
const die = () => process.kill(process.pid, "SIGKILL")

const base = fileTransport(dir, (at) => {
  if (`persist-${at}` === failpoint || `after-${at}` === failpoint || at === failpoint) die()
})

/** The steps after which a failpoint may kill the process, by transport method. */
const stepAfter: Partial<Record<keyof RollbackTransportService, string>> = {
  readDivergentTail: "after-read",
  restoreKeyVersions: "after-restore",
  truncateLog: "after-truncate",
  clearEventPending: "after-emit",
  rejoinAsReplica: "after-rejoin"
}

/** The file transport, killing the process right after the step named by the failpoint. */
const crashing = Layer.effect(
  RollbackTransport,
  Effect.gen(function* () {
    const t = yield* RollbackTransport
    const wrapped = { ...t } as Record<string, unknown>
    for (const [method, step] of Object.entries(stepAfter)) {
      const call = t[method as keyof RollbackTransportService] as (...args: unknown[]) => Effect.Effect<unknown, unknown>
      wrapped[method] = (...args: unknown[]) => Effect.tap(call(...args), () => Effect.sync(() => (failpoint === step ? die() : undefined)))
    }
    return wrapped as unknown as RollbackTransportService
  })
).pipe(Layer.provide(base))

const program = Effect.gen(function* () {
  yield* RollbackCoordinator.resume()
  return yield* RollbackCoordinator.run(input)
})

Effect.runPromise(program.pipe(Effect.provide(crashing))).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`rollback failed: ${String(e)}\n`)
    process.exit(1)
  }
)
