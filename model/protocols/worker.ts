/** Entry point of a search worker thread: builds the coordinator's model (built in or loaded by path) and serves the search. */
import { serveSearch } from "../engine/search-worker.js"
import { tuneV8 } from "../engine/tuning.js"
import { protocolOf } from "./load.js"
import type { ModelRef } from "../engine/model.js"
import { workerData } from "node:worker_threads"

tuneV8()
const ref = (workerData as { ref: ModelRef }).ref
const protocol = await protocolOf(ref)
serveSearch(() => protocol.build(ref.config, ref.variant, { symmetry: ref.symmetry }))
