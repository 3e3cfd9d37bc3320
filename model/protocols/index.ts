/**
 * The registry: the protocols built into replcheck, each registered by its one `defineProtocol`
 * call and listed here once. The CLI, the worker threads, `verdicts`, `npm start`,
 * `npm run traces` and the generic tests all discover protocols from this list; models outside
 * the repository are loaded by path (load.ts).
 */
import type { Protocol } from "../kit/index.js"
import counter from "./examples/counter.js"
import mutex from "./examples/mutex.js"
import raftmongo from "./raftmongo/index.js"
import rollback from "./rollback/index.js"
import cdc from "./cdc/index.js"
import recovery from "./recovery/index.js"
import sidecar from "./sidecar/index.js"

export const builtInProtocols: readonly Protocol[] = [rollback, sidecar, recovery, cdc, raftmongo, counter, mutex]

export function builtInProtocol(name: string): Protocol | undefined {
  return builtInProtocols.find((p) => p.name === name)
}
