/**
 * Entry point of a worker thread: builds the coordinator's model (built in or loaded by path) and
 * serves the search, or with `kind: "simulate"` the random simulation.
 */
import { serveSearch } from "../engine/search-worker.js"
import { serveSimulation } from "../engine/simulation-worker.js"
import { tuneV8 } from "../engine/tuning.js"
import { protocolOf } from "./load.js"
import type { ModelRef } from "../engine/model.js"
import { workerData } from "node:worker_threads"

tuneV8()
const { ref, kind } = workerData as { ref: ModelRef; kind?: string }
const protocol = await protocolOf(ref)
const build = () => protocol.build(ref.config, ref.variant, { symmetry: ref.symmetry })
if (kind === "simulate") serveSimulation(build)
else serveSearch(build)
