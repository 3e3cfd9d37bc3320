/**
 * Every command of `replcheck` declared once: its arguments and flags, each flag's kind, range
 * and help. The parser (args.ts, over Node's util.parseArgs) reads these declarations, and the
 * usage texts (usage.ts) are written from them, so a flag cannot be parsed without being
 * documented or documented without being parsed. Imports nothing but bounds.ts: help is answered
 * from this file before Effect and the models load.
 */
import { flagName, type Bounds } from "../engine/bounds.js"

export type FlagDeclaration =
  /** Present or absent; takes no value. */
  | { readonly kind: "switch"; readonly help: string; readonly short?: string; readonly group?: string }
  /** An integer within min..max (bound flags leave the range to the protocol's config schema). */
  | { readonly kind: "int"; readonly value: string; readonly min: number; readonly max: number; readonly help: string; readonly short?: string; readonly group?: string }
  /** A size in bytes: a number with an optional unit k, m, g or t (powers of 1024). */
  | { readonly kind: "size"; readonly value: string; readonly help: string; readonly group?: string }
  /** A string; `repeats`: each occurrence adds one; `choices`: one of these. */
  | {
      readonly kind: "text"
      readonly value: string
      readonly help: string
      readonly short?: string
      readonly repeats?: boolean
      readonly choices?: readonly string[]
      readonly group?: string
    }
  /** A comma-separated list of names from `choices`, or `none`. */
  | { readonly kind: "list"; readonly value: string; readonly choices: readonly string[]; readonly help: string; readonly group?: string }

export interface CommandDeclaration {
  readonly name: string
  /** Whether the first argument is a protocol (a built-in name or a model module's path). */
  readonly protocol: "required" | "optional" | "none"
  /** The arguments after the protocol (or after the command, when it takes none). */
  readonly operands?: { readonly name: string; readonly many: boolean; readonly required: boolean }
  /** Flags that come from the protocol: its bounds, or its reference implementation's flags. */
  readonly protocolFlags?: "bounds" | "implementation"
  /** One line for `replcheck help`. */
  readonly summary: string
  /** What `replcheck <command> --help` says under the usage line. */
  readonly about: string
  readonly flags: Readonly<Record<string, FlagDeclaration>>
}

const MAX_SEED = 2 ** 32 - 1
const json = (what: string): FlagDeclaration => ({ kind: "switch", help: `print ${what} as one JSON object on stdout` })
const workers = (what: string): FlagDeclaration => ({ kind: "int", value: "N", min: 1, max: 64, short: "w", help: `${what} on N worker threads (default 1); every result is the same for any N` })
const seed = (what: string, group?: string): FlagDeclaration => ({ kind: "int", value: "S", min: 0, max: MAX_SEED, help: `${what} (default 1)`, ...(group ? { group } : {}) })

const check: CommandDeclaration = {
  name: "check",
  protocol: "required",
  protocolFlags: "bounds",
  summary: "explore every reachable state and check the invariants (or, with --simulate, random walks; with --liveness, temporal properties)",
  about:
    "Explores every reachable state of the protocol's model at the given bounds, breadth first, and checks every invariant; a violation is written as its shortest counterexample (ITF and text) under --out. " +
    "With --simulate it walks random runs instead, checking every invariant on every state generated; with --liveness it checks the protocol's temporal properties under its fairness, and a violation is a lasso. " +
    "Exit 0: no violation (also when a cap stopped the search: the verdict says INCOMPLETE); 1: a violation; 2: bad usage or input.",
  flags: {
    variant: { kind: "text", value: "NAME", help: "check this variant instead of the base model (replcheck list names them)" },
    invariant: { kind: "text", value: "NAME", short: "i", repeats: true, help: "check only this invariant (repeat for several; default: all)" },
    workers: workers("search"),
    symmetry: { kind: "switch", group: "search", help: "symmetry reduction over node ids (distinct then counts orbits)" },
    deadlock: { kind: "switch", help: "report a reachable state without successors as a violation" },
    "max-depth": { kind: "int", value: "N", min: 1, max: Number.MAX_SAFE_INTEGER, group: "search", help: "stop after N levels (INCOMPLETE)" },
    "max-states": { kind: "int", value: "N", min: 1, max: Number.MAX_SAFE_INTEGER, group: "search", help: "stop after the level in which N distinct states were reached" },
    memory: { kind: "size", value: "SIZE", group: "search", help: "budget of resident memory, e.g. 512m or 4g (default: 90% of what is free); stops at a level boundary" },
    checkpoint: { kind: "text", value: "DIR", group: "search", help: "write the search to DIR at a level boundary every --checkpoint-every seconds" },
    "checkpoint-every": { kind: "int", value: "S", min: 0, max: Number.MAX_SAFE_INTEGER, group: "search", help: "seconds between checkpoints (default 600; 0: every level)" },
    resume: { kind: "text", value: "DIR", group: "search", help: "go on from the checkpoint in DIR (same protocol, bounds, variant and invariants)" },
    disk: {
      kind: "text",
      value: "DIR",
      group: "search",
      help: "keep the seen set, the levels and the edge records in files under DIR, memory bounded by --memory (default 1g); one worker, no checkpoint"
    },
    dot: { kind: "text", value: "FILE", group: "search", help: "write the reachable graph as Graphviz DOT (small models: up to 5,000 states)" },
    simulate: { kind: "switch", group: "simulation", help: "walk random runs instead of exploring every state" },
    runs: { kind: "int", value: "N", min: 1, max: Number.MAX_SAFE_INTEGER, group: "simulation", help: "walk N runs (default 1000)" },
    depth: { kind: "int", value: "D", min: 1, max: Number.MAX_SAFE_INTEGER, group: "simulation", help: "of up to D steps each (default 100)" },
    seed: seed("run i walks with seed S+i", "simulation"),
    liveness: { kind: "switch", group: "liveness", help: "check the temporal properties under the protocol's fairness instead of the invariants" },
    property: { kind: "text", value: "NAME", repeats: true, group: "liveness", help: "check only this property (repeat for several; default: all)" },
    json: { ...json("the report"), group: "output" },
    out: { kind: "text", value: "DIR", short: "o", group: "output", help: "where counterexamples are written (default traces/out)" },
    html: { kind: "switch", group: "output", help: "also write each counterexample as a trace explorer page (HTML)" }
  }
}

const verdicts: CommandDeclaration = {
  name: "verdicts",
  protocol: "optional",
  summary: "run the recorded runs of a protocol's manifest (of every built-in one when none is named) and say whether each gives its recorded verdict",
  about:
    "Runs the recorded runs of the protocol's manifest (of every built-in protocol with one when none is named), printing each run as it finishes, and writes each recorded counterexample to DIR/<protocol>/. " +
    "A built-in protocol's counterexample must also be the committed one, byte for byte. Exit 0: every run as recorded; 1: a run not as recorded.",
  flags: {
    workers: workers("run each search"),
    quick: { kind: "switch", help: "leave out the runs the manifest marks slow (listed as skipped)" },
    traces: { kind: "text", value: "DIR", help: "where counterexamples are written (default traces/out)" },
    json: json("every run's row, at the end,")
  }
}

const validate: CommandDeclaration = {
  name: "validate",
  protocol: "required",
  operands: { name: "<trace.ndjson | trace.itf.json | dir>", many: true, required: true },
  summary: "check that implementation traces (NDJSON or ITF; files or directories of them) are runs of the model",
  about:
    "Checks that each trace is a run of the model: its header names the bounds, and every event is a step the model allows that leads to the state it observed. " +
    "Several traces, or directories of them (*.ndjson, *.itf.json), are a batch: a line each and a summary. replcheck describe <protocol> says what a trace holds. " +
    "Exit 0: accepted; 1: rejected (the first step that is not the model's, and why); 2: bad input (file, line and field).",
  flags: {
    "internal-steps": { kind: "int", value: "N", min: 0, max: 16, help: "unlogged internal steps the model may take between two events (default 0)" },
    window: { kind: "text", value: "FILE", help: "on rejection, write the smallest failing window as ITF (one trace only)" },
    itf: { kind: "text", value: "FILE", help: "write the accepted run as ITF (one trace only)" },
    variant: { kind: "text", value: "NAME", help: "validate against this variant of the model (default base; replcheck list names them), e.g. rollback's raft-elections" },
    workers: workers("validate a batch's traces"),
    json: json("the verdict (a batch: every trace's and the summary)")
  }
}

const simulate: CommandDeclaration = {
  name: "simulate",
  protocol: "required",
  protocolFlags: "bounds",
  summary: "write a random run of the model as an implementation trace (what validate reads)",
  about: "Writes one seeded random run of the model as an implementation trace (NDJSON), the format validate reads and conform compares; it checks nothing (check --simulate does).",
  flags: {
    steps: { kind: "int", value: "N", min: 0, max: 100_000_000, help: "steps in the run (default 100)" },
    seed: seed("the run's seed"),
    observe: { kind: "text", value: "WHAT", choices: ["full", "node", "none"], help: "what each event observes: full (every variable), node (the acting node's) or none (default full)" },
    hide: { kind: "text", value: "ACTION", repeats: true, help: "leave this action's steps out of the trace, as an implementation that does not log them would" },
    prefer: { kind: "text", value: "PREFIX", repeats: true, help: "4 steps in 5, take an enabled action whose name starts with PREFIX, if any" },
    out: { kind: "text", value: "FILE", short: "o", help: "write the trace to FILE (default: stdout)" }
  }
}

const conform: CommandDeclaration = {
  name: "conform",
  protocol: "required",
  protocolFlags: "bounds",
  summary: "drive an implementation through an adapter process with steps chosen from the model, and compare every state it reports",
  about:
    "Drives an implementation through an adapter process (NDJSON over stdin and stdout) and compares every state it reports with the model's: every run to --depth D (default 3), or --random runs, or --implementation-driven runs in which the adapter proposes its own steps. " +
    "Reports the steps driven per action and the actions never driven. Exit 0: every reply matched; 1: a divergence; 2: bad input or an adapter that fails.",
  flags: {
    adapter: { kind: "text", value: "COMMAND", help: "the adapter's command line, run by the shell (required)" },
    depth: { kind: "int", value: "D", min: 1, max: 12, help: "drive every run of the model up to D steps (default 3)" },
    random: { kind: "switch", help: "drive seeded random runs instead" },
    "implementation-driven": { kind: "switch", help: "let the adapter propose each step; check that the model allows it" },
    seed: seed("run i uses seed S+i (random and implementation-driven runs)"),
    runs: { kind: "int", value: "N", min: 1, max: 1_000_000, help: "random or implementation-driven runs (default 20)" },
    steps: { kind: "int", value: "K", min: 1, max: 1_000_000, help: "steps per random or implementation-driven run (default 30)" },
    prefer: { kind: "text", value: "PREFIX", repeats: true, help: "random runs: 4 steps in 5, take an enabled action whose name starts with PREFIX, if any" },
    guided: { kind: "switch", help: "random runs: steer 4 steps in 5 to the enabled actions driven least so far" },
    "allow-empty-observation": { kind: "switch", help: "accept an adapter whose replies observe no variable" },
    json: json("the result")
  }
}

const cluster: CommandDeclaration = {
  name: "cluster",
  protocol: "required",
  protocolFlags: "implementation",
  summary: "run a protocol's reference implementation on a seeded schedule with faults, and validate its trace against the model",
  about:
    "Runs the protocol's reference implementation (replcheck list says which protocols have one) on a seeded schedule with faults, writes its trace and validates it against the model. " +
    "Its flags are the implementation's own (listed below when the protocol is named: replcheck cluster <protocol> --help).",
  flags: {
    out: { kind: "text", value: "FILE", short: "o", help: "where the trace goes (default: under traces/out)" },
    json: json("the run and its verdict")
  }
}

const describe: CommandDeclaration = {
  name: "describe",
  protocol: "required",
  protocolFlags: "bounds",
  summary: "say what a trace of the protocol holds: header, actions and their arguments, variables and their JSON form, with an example per action",
  about:
    "Says what an implementation trace of the protocol holds at these bounds: the header, every action with its arguments, every variable with its JSON form, range and initial value, the trace mapping, and an example event per action.",
  flags: {
    variant: { kind: "text", value: "NAME", help: "describe this variant's actions and variables (default base), e.g. rollback's raft-elections" },
    json: json("the description")
  }
}

const explore: CommandDeclaration = {
  name: "explore",
  protocol: "none",
  operands: { name: "<trace.itf.json>", many: false, required: true },
  summary: "write an ITF trace as one self-contained HTML page (a row per state, a lane per node, changes highlighted)",
  about: "Writes an ITF trace (replcheck's, Quint's, Apalache's) as one self-contained HTML page that works from file:// with no network: a row per state, a lane per node, changed fields highlighted, the violated invariant and its witness at the last state.",
  flags: { out: { kind: "text", value: "FILE", short: "o", help: "where the page goes (default: beside the trace, .itf.json replaced by .html)" } }
}

const list: CommandDeclaration = {
  name: "list",
  protocol: "none",
  summary: "show every built-in protocol: bounds, variables, actions, invariants, variants, symmetry, reference implementation",
  about: "Shows every built-in protocol: its bounds (flags, defaults, ranges), variables, actions with their parameters, invariants, variants, whether it offers symmetry, and its reference implementation's flags.",
  flags: { json: json("the protocols") }
}

/** Every command, in the order `replcheck help` lists them. */
export const COMMANDS: readonly CommandDeclaration[] = [check, verdicts, validate, simulate, conform, cluster, describe, explore, list]

export function commandNamed(name: string): CommandDeclaration | undefined {
  return COMMANDS.find((c) => c.name === name)
}

/** A flag's name with its short form, as usage shows and errors name it: `-w, --workers`. */
export function flagLabel(name: string, flag: FlagDeclaration): string {
  return "short" in flag && flag.short !== undefined ? `-${flag.short}, --${name}` : `--${name}`
}

/** A protocol's bounds as the flags of the commands that take them: `--max-term N`. */
export function boundFlags(bounds: Bounds): Record<string, FlagDeclaration> {
  return Object.fromEntries(
    Object.entries(bounds).map(([field, b]) => [flagName(field), { kind: "int", value: "N", min: b.min, max: b.max, help: `${b.description}; ${b.min}..${b.max} (default ${b.default})` }])
  )
}

/** How a reference implementation declares its flags (impl/index.ts). */
export type ImplementationFlag =
  | { readonly kind: "int"; readonly default: number; readonly min: number; readonly max: number; readonly description: string }
  | { readonly kind: "list"; readonly values: readonly string[]; readonly default: readonly string[]; readonly description: string }
  | { readonly kind: "dir"; readonly description: string }
  | { readonly kind: "choice"; readonly values: readonly string[]; readonly default: string; readonly description: string }

/** A reference implementation's flags as `replcheck cluster <protocol>` takes them. */
export function implementationFlags(flags: Readonly<Record<string, ImplementationFlag>>): Record<string, FlagDeclaration> {
  return Object.fromEntries(
    Object.entries(flags).map(([name, f]): [string, FlagDeclaration] => [
      name,
      f.kind === "int"
        ? { kind: "int", value: "N", min: f.min, max: f.max, help: `${f.description}; ${f.min}..${f.max} (default ${f.default})` }
        : f.kind === "list"
          ? { kind: "list", value: "LIST", choices: f.values, help: `${f.description} (default ${f.default.join(",") || "none"})` }
          : f.kind === "choice"
            ? { kind: "text", value: f.values.join("|").toUpperCase(), choices: f.values, help: `${f.description}; one of ${f.values.join(", ")} (default ${f.default})` }
            : { kind: "text", value: "DIR", help: f.description }
    ])
  )
}
