/**
 * A process that runs the recovery crash scenario (crash-scenario.ts) on files and kills itself
 * with SIGKILL after a step or at the k-th passage of a storage failpoint, for the real crash test
 * (test/impl/recovery/crash.test.ts). Usage:
 *   node dist/impl/recovery/crash-child.js <data dir> step:<n>
 *   node dist/impl/recovery/crash-child.js <data dir> <failpoint>:<k>     (e.g. install:after-extent:1)
 */
import { killPoint } from "../cluster/kill-point.js"
import { failpoints } from "./file-storage.js"
import { runScenario } from "./crash-scenario.js"

const [dir, spec] = process.argv.slice(2) as [string, string]
const kill = killPoint(spec)
failpoints(kill.atFailpoint)
runScenario(dir, kill.afterStep)
process.exit(0)
