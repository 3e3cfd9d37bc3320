/**
 * The commands that need no Effect (help, <command> --help, --version, list), answered before
 * the CLI proper loads: bin/replcheck.js calls `answerQuickly` first and imports main.js
 * only when it returns false. Imports nothing but node:fs and the usage texts (list loads the
 * protocol declarations), so it starts in tens of milliseconds.
 */
import { readFileSync } from "node:fs"
import { helpText } from "./help.js"
import { quickAnswer } from "./usage.js"

/** package.json from dist/model/cli/fast.js (the CLI always runs compiled). */
const PACKAGE_JSON = "../../../package.json"

export function version(): string {
  return (JSON.parse(readFileSync(new URL(PACKAGE_JSON, import.meta.url), "utf8")) as { version: string }).version
}

/**
 * Answers help, --version and list on stdout and returns true; false for every other command line
 * (a list with anything but --json too, so that main.ts says what is wrong with it).
 */
export async function answerQuickly(argv: readonly string[]): Promise<boolean> {
  if (argv[0] === "list" && (argv.length === 1 || (argv.length === 2 && argv[1] === "--json"))) {
    // The protocols and the implementations' catalog, without Effect (list.ts).
    const { listText } = await import("./list.js")
    process.stdout.write(await listText(argv[1] === "--json"))
    return true
  }
  const quick = quickAnswer(argv)
  if (quick === null) return false
  process.stdout.write(quick.command === "version" ? `replcheck ${version()}\n` : (await helpText(quick.topic, quick.protocol)) + "\n")
  return true
}
