#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm run build` (run by `npm ci` through the prepare script).
import { existsSync } from "node:fs"
const main = new URL("../dist/model/cli/main.js", import.meta.url)
if (!existsSync(main)) {
  process.stderr.write("replcheck: not built yet: run npm ci (or npm run build) first\n")
  process.exit(2)
}
// help, --version, list and validate first, without loading Effect (model/cli/fast.ts), from
// its bundle (tools/bundle-fast.mjs) when the build made one.
const bundled = new URL("../dist/fast/fast.js", import.meta.url)
const fast = existsSync(bundled) ? bundled : new URL("../dist/model/cli/fast.js", import.meta.url)
const { answerQuickly } = await import(fast.href)
const code = await answerQuickly(process.argv.slice(2))
if (code === undefined) await import(main.href)
else process.exitCode = code
