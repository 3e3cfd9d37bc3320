/** Entry point of a search worker thread for the protocols of this registry. */
import { serveSearch } from "../engine/search-worker.js"
import { buildModel } from "./models.js"

serveSearch(buildModel)
