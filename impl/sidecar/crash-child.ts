/**
 * A process that runs one writer's operation on the file store and kills itself with SIGKILL
 * after a phase, or runs the on-open recovery and kills itself after applying a decision and
 * before finishing the sidecar, for the real crash test (test/impl/sidecar/crash.test.ts). Usage:
 *   node dist/impl/sidecar/crash-child.js <data dir> <after-sidecar|after-commit-1|after-commit-2|after-publish|after-delete>
 *   node dist/impl/sidecar/crash-child.js <data dir> recover-after-apply
 */
import { Effect } from "effect"
import { fileStore, SidecarStore } from "./store.js"
import { recoverAll } from "./sweep.js"

const [dir, failpoint] = process.argv.slice(2) as [string, string]
const store = Effect.runSync(SidecarStore.pipe(Effect.provide(fileStore(dir, 2))))
const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
const crashAfter = (phase: string) => {
  if (failpoint === `after-${phase}`) process.kill(process.pid, "SIGKILL")
}

if (failpoint === "recover-after-apply") {
  recoverAll(store, () => process.kill(process.pid, "SIGKILL"))
  process.exit(0)
}

const manifest = run(store.read).manifest
const record = { op: 1, tables: [0, 1], expected: [...manifest.tables], target: manifest.tables.map((v) => v + 1) }
run(store.writeSidecar(record))
crashAfter("sidecar")
for (const t of [0, 1]) {
  if (!run(store.commitIf(t, record.expected[t]!, 1))) process.exit(1)
  crashAfter(`commit-${t + 1}`)
}
const pins = (vs: readonly number[]) => new Map(vs.map((v, t) => [t, v]))
if (!run(store.casManifest(pins(record.expected), pins(record.target)))) process.exit(1)
crashAfter("publish")
run(store.deleteSidecar(1))
crashAfter("delete")
process.exit(0)
