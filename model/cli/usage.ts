/**
 * The usage text, and the commands answered from it alone (help, <command> --help, --version).
 * No imports: bin/replcheck.js answers those through fast.ts before it loads Effect and the
 * rest of the CLI, which take most of a second to load.
 */

export const USAGE = `usage:
  replcheck check <protocol> [bound flags] [--variant NAME] [--invariant NAME]...
                  [--workers N] [--symmetry] [--deadlock] [--max-depth N] [--max-states N]
                  [--memory SIZE] [--checkpoint DIR [--checkpoint-every S]] [--resume DIR]
                  [--json] [--out DIR] [--html] [--dot FILE]
  replcheck check <protocol> --liveness [--property NAME]... [bound flags] [--variant NAME]
                  [--json] [--out DIR] [--html]
  replcheck check <protocol> --simulate [--runs N] [--depth D] [--seed S] [bound flags] [--variant NAME]
                  [--invariant NAME]... [--workers N] [--deadlock] [--json] [--out DIR] [--html]
  replcheck verdicts [<protocol>] [--workers N] [--json] [--traces DIR] [--quick]
  replcheck validate <protocol> <trace.ndjson | trace.itf.json | dir>... [--internal-steps N] [--window FILE] [--itf FILE] [--json]
  replcheck conform <protocol> --adapter "<command>" [bound flags] [--depth D | --random
                    [--seed S] [--runs N] [--steps K] [--prefer PREFIX]... [--guided]
                    | --implementation-driven [--seed S] [--runs N] [--steps K]] [--allow-empty-observation] [--json]
  replcheck cluster <protocol> [its flags] [--out FILE] [--json]
  replcheck simulate <protocol> [bound flags] [--steps N] [--seed S] [--observe full|node|none]
                     [--hide ACTION]... [--prefer PREFIX]... [--out FILE]
  replcheck describe <protocol> [bound flags] [--json]
  replcheck explore <trace.itf.json> [--out FILE]
  replcheck list [--json]
  replcheck help | <command> --help | --version

<protocol> is a built-in protocol's name (replcheck list) or the path of a model module (.ts or
.js, whose default export is a defineProtocol result).
Bound flags are the kebab-case names of the protocol's bounds (see replcheck list).
A flag's value may follow an = (--workers=2). Short flags: -w (--workers), -i (--invariant),
-o (--out), -h (--help), -V (--version).
check explores every reachable state; with --simulate it walks N random runs (default 1000) of
up to D steps (default 100) instead, run i with seed S+i, checking every invariant on every state
generated; a violation is written shortened, with the seed that walks it again. With --liveness
it checks the temporal properties under the protocol's fairness, and a violation is a lasso. --checkpoint DIR
writes the search to DIR at a level boundary every S seconds (default 600) and where a cap stops
it; --resume DIR goes on from there (same command and flags; caps may differ).
verdicts runs the recorded runs of the protocol's manifest (of every built-in protocol when none
is named), prints a table each and writes the counterexamples to DIR/<protocol>/ (--traces DIR,
default traces/out). cluster runs a protocol's reference implementation (replcheck list says
which have one, and their flags) and validates its trace against the model.
validate checks that an implementation trace (NDJSON, see traces/schema/) is a run of the model
(several traces, or directories of them, in one process: a line each and a summary);
simulate writes a random run of the model as such a trace; describe says what such a trace of
the protocol holds (the header, each action's arguments, each variable's JSON form, the trace
mapping) with an example event per action; conform drives an implementation through
an adapter process (NDJSON over stdin/stdout, see traces/schema/adapter-*.schema.json) with steps
chosen from the model, and compares every state it reports. explore writes an ITF trace as
one HTML page (a row per state, a lane per node, changes highlighted); check --html writes one
beside each counterexample.
Exit status: 0 no violation (verdicts: every run as recorded; validate: trace accepted),
1 violation (verdicts: a run not as recorded; validate: trace rejected), 2 bad usage or input,
3 internal error.`

/** The usage lines of one command (its first line and the continuation lines under it). */
export function usageOf(command: string): string {
  const lines = USAGE.split("\n")
  const k = lines.findIndex((l) => l.startsWith(`  replcheck ${command} `) || l === `  replcheck ${command}`)
  if (k < 0) return USAGE
  let end = k + 1
  // Continuation lines, and further forms of the same command (check and check --simulate).
  while (end < lines.length && ((/^ {5,}\S/.test(lines[end]!) && !lines[end]!.startsWith("  replcheck ")) || lines[end]!.startsWith(`  replcheck ${command} `))) end++
  return ["usage:", ...lines.slice(k, end), "", "replcheck help: every command, the protocol argument and the exit status."].join("\n")
}

/** help, <command> --help and --version: what parseArgs returns for them, or null for any other command line. */
export function quickAnswer(argv: readonly string[]): { readonly command: "help"; readonly topic?: string } | { readonly command: "version" } | null {
  const [command, ...rest] = argv
  if (command === undefined || command === "help" || command === "--help" || command === "-h") return { command: "help" }
  if (command === "--version" || command === "-V" || command === "version") return { command: "version" }
  if (rest.includes("--help") || rest.includes("-h")) return { command: "help", topic: command }
  return null
}
