/**
 * A process that runs the cdc crash run (crash-scenario.ts's CRASH_RUN) with the consumer's store
 * on files and kills itself with SIGKILL after a step or at the k-th passage of a store-write
 * failpoint, for the real crash test (test/impl/cdc/crash.test.ts). Usage:
 *   node dist/impl/cdc/crash-child.js <store dir> step:<n>
 *   node dist/impl/cdc/crash-child.js <store dir> <failpoint>:<k>     (e.g. after-fsync:3)
 */
import { killPoint } from "../cluster/kill-point.js"
import { runCdcCluster } from "./cluster.js"
import { CRASH_RUN } from "./crash-scenario.js"
import { fileCheckpointStore, storeFailpoints } from "./file-store.js"

const [dir, spec] = process.argv.slice(2) as [string, string]
const kill = killPoint(spec)
storeFailpoints(kill.atFailpoint)
runCdcCluster({ ...CRASH_RUN, open: () => fileCheckpointStore(dir), after: kill.afterStep })
process.exit(0)
