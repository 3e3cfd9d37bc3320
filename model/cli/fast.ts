/**
 * The commands that need no model and no Effect (help, <command> --help, --version), answered
 * before the CLI proper loads: bin/replcheck.js calls `answerQuickly` first and imports main.js
 * only when it returns false. Imports nothing but node:fs and the usage texts, so it starts in
 * tens of milliseconds.
 */
import { readFileSync } from "node:fs"
import { helpText } from "./help.js"
import { quickAnswer } from "./usage.js"

/** package.json from dist/model/cli/fast.js (the CLI always runs compiled). */
const PACKAGE_JSON = "../../../package.json"

export function version(): string {
  return (JSON.parse(readFileSync(new URL(PACKAGE_JSON, import.meta.url), "utf8")) as { version: string }).version
}

/** Answers help and --version on stdout and returns true; false for every other command line. */
export async function answerQuickly(argv: readonly string[]): Promise<boolean> {
  const quick = quickAnswer(argv)
  if (quick === null) return false
  process.stdout.write(quick.command === "version" ? `replcheck ${version()}\n` : (await helpText(quick.topic, quick.protocol)) + "\n")
  return true
}
