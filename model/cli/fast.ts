/**
 * The commands that need no Effect (help, <command> --help, --version, list, validate), answered
 * before the CLI proper loads: bin/replcheck.js calls `answerQuickly` first and imports main.js
 * only when it returns undefined. Imports nothing but Node's built-ins, package-root.ts and the
 * usage texts (list and validate load what they need when asked), so it starts in tens of
 * milliseconds. `npm run build` bundles it (tools/bundle.mjs), which bin/replcheck.js runs.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { packageRoot } from "../package-root.js"
import { helpText } from "./help.js"
import { quickAnswer } from "./usage.js"

export function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(import.meta.url), "package.json"), "utf8")) as { version: string }).version
}

/**
 * Answers help, --version, list and validate, and returns the exit status; undefined for every
 * other command line (a list with anything but --json too, so that main.ts says what is wrong
 * with it).
 */
export async function answerQuickly(argv: readonly string[]): Promise<number | undefined> {
  if (argv[0] === "list" && (argv.length === 1 || (argv.length === 2 && argv[1] === "--json"))) {
    // The protocols and the implementations' catalog, without Effect (list.ts).
    const { listText } = await import("./list.js")
    process.stdout.write(await listText(argv[1] === "--json"))
    return 0
  }
  const quick = quickAnswer(argv)
  if (quick !== null) {
    process.stdout.write(quick.command === "version" ? `replcheck ${version()}\n` : (await helpText(quick.topic, quick.protocol)) + "\n")
    return 0
  }
  if (argv[0] === "validate") {
    // The parser, the protocol and the validator are plain code (validate-command.ts).
    // A reader that closes the pipe early (`replcheck validate dir | head`) is not an error of ours.
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? 0)
      throw e
    })
    const { parseArgs, resolveProtocol, UsageError } = await import("./args.js")
    const { runValidate } = await import("./validate-command.js")
    try {
      const parsed = parseArgs(argv, await resolveProtocol(argv))
      if (!parsed.ok) throw parsed.error
      if (parsed.value.command !== "validate") return undefined
      return await runValidate(parsed.value)
    } catch (e) {
      // Exit 2 for bad usage or input; anything else is ours (3), one line as main.ts writes it.
      process.stderr.write(e instanceof UsageError ? `replcheck: ${e.message}\n` : `replcheck: internal error: ${e instanceof Error ? e.message : String(e)}\n`)
      return e instanceof UsageError ? 2 : 3
    }
  }
  return undefined
}
