#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run by `npm ci` through the prepare script).
import { existsSync } from "node:fs"
const main = new URL("../dist/model/cli/main.js", import.meta.url)
if (!existsSync(main)) {
  process.stderr.write("replcheck: not built yet: run npm ci (or npm run build) first\n")
  process.exit(2)
}
// help, --version and list first, without loading Effect (model/cli/fast.ts).
const { answerQuickly } = await import(new URL("../dist/model/cli/fast.js", import.meta.url).href)
if (!(await answerQuickly(process.argv.slice(2)))) await import(main.href)
