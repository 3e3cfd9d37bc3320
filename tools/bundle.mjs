// `npm run build`'s second step: bundles the CLI with esbuild, so that Node loads a few files
// instead of hundreds of modules. Node 20 loads each ES module on its own (resolve, read,
// compile, link); Effect alone is several hundred, which made every command that loads it take
// 0.6 s to start, and the forty-odd modules of `validate` cost about 25 ms of its 150 ms.
//
// - dist/fast/: the start-up path (dist/model/cli/fast.js: help, list, validate and the
//   protocols they load), packages external: it must never load Effect, and a test walks its
//   import graph to hold it so.
// - dist/main/: the whole CLI (dist/model/cli/main.js), Effect included; esbuild, which compiles
//   models given by path, stays external.
//
// One file per lazily loaded part (splitting). Worker threads and the library (dist/model/api.js)
// run the unbundled code. bin/replcheck.js falls back to dist/model/cli/ when a bundle is absent.
import { build } from "esbuild"
import { rmSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const common = { bundle: true, splitting: true, format: "esm", platform: "node", target: "node20", logLevel: "warning" }
for (const [entry, dir, external] of [
  ["fast", "fast", { packages: "external" }],
  ["main", "main", { external: ["esbuild"] }]
]) {
  const outdir = `${root}dist/${dir}`
  rmSync(outdir, { recursive: true, force: true })
  await build({ ...common, ...external, entryPoints: [`${root}dist/model/cli/${entry}.js`], outdir })
}
