// `npm run build`'s second step: bundles the CLI's start-up path (dist/model/cli/fast.js and
// what it imports: help, list, validate and the protocols they load) into dist/fast/, one file
// per lazily loaded part. Node 20 loads each ES module of its own (resolve, read, compile, link),
// and the forty-odd modules of `validate` cost about 25 ms that way, a sixth of the 150 ms that
// help, list and validate may take. Packages (effect, esbuild) stay external, imported from
// node_modules as by the unbundled code. bin/replcheck.js falls back to dist/model/cli/fast.js
// when this bundle is absent.
import { build } from "esbuild"
import { rmSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const outdir = `${root}dist/fast`
rmSync(outdir, { recursive: true, force: true })
await build({
  entryPoints: [`${root}dist/model/cli/fast.js`],
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  logLevel: "warning"
})
