/** Every protocol replcheck knows, by name. */
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { Protocol } from "../engine/model.js"
import { counter, mutex } from "./examples/index.js"
import { raftMongo } from "./raftmongo/index.js"
import { rollback } from "./rollback/index.js"
import { sidecar } from "./sidecar/index.js"

export { buildModel } from "./models.js"

export const protocols: readonly Protocol[] = [rollback, sidecar, raftMongo, counter, mutex]

export function findProtocol(name: string): Protocol | undefined {
  return protocols.find((p) => p.name === name)
}

/**
 * The compiled worker entry (worker threads cannot load .ts; from sources it is the dist/ copy,
 * which must not be older than the sources, or workers would run another model than ours).
 */
export function workerScript(): string {
  const fromSources = fileURLToPath(import.meta.url).endsWith(".ts")
  const script = fileURLToPath(new URL(fromSources ? "../../dist/model/protocols/worker.js" : "./worker.js", import.meta.url))
  if (!existsSync(script)) throw new Error(`worker script ${script} is missing: run npm run build`)
  if (fromSources) {
    const built = statSync(script).mtimeMs
    const sources = fileURLToPath(new URL("..", import.meta.url))
    const newest = (dir: string): number =>
      readdirSync(dir, { withFileTypes: true }).reduce(
        (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : e.name.endsWith(".ts") ? statSync(join(dir, e.name)).mtimeMs : 0),
        0
      )
    if (newest(sources) > built) throw new Error(`worker script ${script} is older than the sources in ${sources}: run npm run build`)
  }
  return script
}
