/** Entry point of a search worker thread for the protocols of this registry. */
import { serveShard } from "../engine/shard-worker.js"
import { buildModel } from "./models.js"

serveShard(buildModel)
