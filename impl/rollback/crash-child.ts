/**
 * A process that runs one file-backed rollback and kills itself with SIGKILL at a failpoint, for
 * the real crash test (test/impl/rollback/crash.test.ts). Usage:
 *   node dist/impl/rollback/crash-child.js <data dir> <input.json> <failpoint>
 * Failpoints: persist-before-fsync, persist-after-fsync, persist-after-rename (inside the rollback
 * file's write), recover-after-versions (inside recovery, between the key versions and the log)
 * and after-read, after-persist, after-recover, after-emit, after-rejoin (between steps).
 */
import { readFileSync } from "node:fs"
import { Effect, Layer } from "effect"
import { RollbackCoordinator } from "./coordinator.js"
import { fileTransport } from "./file-transport.js"
import { RollbackTransport } from "./transport.js"
import type { RollbackInput } from "./types.js"

const [dir, inputFile, failpoint] = process.argv.slice(2) as [string, string, string]
const input = JSON.parse(readFileSync(inputFile, "utf8")) as RollbackInput
const die = () => process.kill(process.pid, "SIGKILL")

const base = fileTransport(dir, (at) => {
  if (`persist-${at}` === failpoint || at === failpoint) die()
})

/** The file transport, killing the process right after the step named by the failpoint. */
const crashing = Layer.effect(
  RollbackTransport,
  Effect.gen(function* () {
    const t = yield* RollbackTransport
    const after = <A, E>(step: string, effect: Effect.Effect<A, E>) => Effect.tap(effect, () => Effect.sync(() => (failpoint === `after-${step}` ? die() : undefined)))
    return {
      planStillCurrent: t.planStillCurrent,
      readDivergentTail: (from: number, to: number) => after("read", t.readDivergentTail(from, to)),
      persistRollbackFile: (tail: Parameters<typeof t.persistRollbackFile>[0]) => after("persist", t.persistRollbackFile(tail)),
      recoverToLsn: (target: number) => after("recover", t.recoverToLsn(target)),
      emitRollbackEvent: (event: Parameters<typeof t.emitRollbackEvent>[0]) => after("emit", t.emitRollbackEvent(event)),
      rejoinAsReplica: (primary: number, term: number) => after("rejoin", t.rejoinAsReplica(primary, term))
    }
  })
).pipe(Layer.provide(base))

Effect.runPromise(RollbackCoordinator.run(input).pipe(Effect.provide(crashing))).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`rollback failed: ${String(e)}\n`)
    process.exit(1)
  }
)
