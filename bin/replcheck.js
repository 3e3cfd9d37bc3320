#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run by `npm ci` through the prepare script).
import { existsSync } from "node:fs"
// The bundles of tools/bundle.mjs when the build made them (they start in a third of the time).
const built = (bundle, plain) => {
  const url = new URL(bundle, import.meta.url)
  return existsSync(url) ? url : new URL(plain, import.meta.url)
}
const main = built("../dist/main/main.js", "../dist/model/cli/main.js")
if (!existsSync(main)) {
  process.stderr.write("replcheck: not built yet: run npm ci (or npm run build) first\n")
  process.exit(2)
}
// help, --version, list and validate first, without loading Effect (model/cli/fast.ts).
const { answerQuickly } = await import(built("../dist/fast/fast.js", "../dist/model/cli/fast.js").href)
const code = await answerQuickly(process.argv.slice(2))
if (code === undefined) await import(main.href)
else process.exitCode = code
