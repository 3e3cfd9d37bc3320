/** `npm run schemas`: writes traces/schema/*.schema.json from the Effect Schemas. */
import { mkdirSync, renameSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { jsonSchemaFiles } from "./json-schemas.js"

const dir = fileURLToPath(new URL("../../../traces/schema/", import.meta.url))
mkdirSync(dir, { recursive: true })
for (const [name, contents] of Object.entries(jsonSchemaFiles())) {
  writeFileSync(dir + name + ".tmp", contents)
  renameSync(dir + name + ".tmp", dir + name)
  process.stdout.write(`wrote traces/schema/${name}\n`)
}
