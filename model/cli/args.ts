/** Parses `replcheck` command lines into commands; every mistake is a one-line UsageError. */
import { parseArgs as tokenize } from "node:util"
import { readConfig } from "../engine/bounds.js"
import { BASE_VARIANT, type Protocol } from "../kit/index.js"
import type { ConformMode } from "../trace/conform.js"
import { BUILT_IN_NAMES } from "../protocols/by-name.js"
import { loadProtocol, ProtocolLoadError } from "../protocols/load.js"
import { implementationEntries, type ImplementationEntry } from "../../impl/catalog.js"
import type { FlagValues } from "../../impl/index.js"
import { boundFlags, commandNamed, COMMANDS, flagLabel, implementationFlags, type CommandDeclaration, type FlagDeclaration } from "./commands.js"
import { quickAnswer } from "./usage.js"

/** A mistake in a command line (exit 2). Tagged, so that Effect code catches it by `_tag`; plain, so that parsing needs no Effect. */
export class UsageError extends Error {
  readonly _tag = "UsageError"
  override readonly name = "UsageError"
  constructor(args: { readonly message: string }) {
    super(args.message)
  }
}

/** What parsing gives: the value, or the UsageError that says what is wrong. */
export type Parsed<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: UsageError }

const ok = <A>(value: A): Parsed<A> => ({ ok: true, value })

export interface CheckCommand {
  readonly command: "check"
  readonly protocol: Protocol
  readonly config: Record<string, number>
  readonly variant: string
  readonly workers: number
  readonly symmetry: boolean
  readonly deadlock: boolean
  readonly invariants: readonly string[] | undefined
  readonly maxDepth: number | undefined
  readonly maxStates: number | undefined
  /** `--memory SIZE` in bytes; undefined: the default, most of the memory free when the run starts. */
  readonly memory: number | undefined
  readonly json: boolean
  readonly out: string
  /** `--html`: write the counterexample's trace explorer page too (`<name>.html` beside the ITF). */
  readonly html: boolean
  /** `--dot FILE`: write the reachable graph (small models) as Graphviz DOT. */
  readonly dot: string | undefined
  /** `--liveness`: check the temporal properties (those named by `--property`, else all) instead of the invariants. */
  readonly liveness: { readonly properties: readonly string[] | undefined } | undefined
  /** `--checkpoint DIR` (or the `--resume` directory) and `--checkpoint-every SECONDS`. */
  readonly checkpoint: { readonly dir: string; readonly everySeconds: number } | undefined
  /** `--resume DIR`: continue the search from the checkpoint in DIR. */
  readonly resume: string | undefined
  /** `--disk DIR`: the search's tables in files under DIR (model/engine/disk.ts). */
  readonly disk: string | undefined
  /** `--simulate`: random walks checking the invariants, instead of the exhaustive search. */
  readonly simulate: { readonly runs: number; readonly depth: number; readonly seed: number } | undefined
}

export interface VerdictsCommand {
  readonly command: "verdicts"
  /** The protocol whose manifest to run; undefined: every built-in one that has a manifest. */
  readonly protocol: Protocol | undefined
  readonly workers: number
  readonly json: boolean
  /** Counterexamples go to <traces>/<protocol>/<run>.itf.json and .txt. */
  readonly traces: string
  /** Leave out the runs the manifest marks slow (they are listed as skipped). */
  readonly quick: boolean
}

export interface ValidateCommand {
  readonly command: "validate"
  readonly protocol: Protocol
  /** Trace files, or directories searched for *.ndjson and *.itf.json; more than one trace is a batch. */
  readonly paths: readonly string[]
  readonly internalSteps: number
  readonly json: boolean
  /** Where to write the smallest failing window as ITF, on rejection. */
  readonly window: string | undefined
  /** Where to write the accepted run as ITF. */
  readonly itf: string | undefined
  /** Worker threads for a batch (its rows and summary are the same for any number). */
  readonly workers: number
  /** The variant of the model the traces are validated against (default: base). */
  readonly variant: string
}

export interface SimulateCommand {
  readonly command: "simulate"
  readonly protocol: Protocol
  readonly config: Record<string, number>
  readonly steps: number
  readonly seed: number
  readonly observe: "full" | "node" | "none"
  readonly hidden: readonly string[]
  readonly prefer: readonly string[]
  readonly out: string | undefined
}

export interface ConformCommand {
  readonly command: "conform"
  readonly protocol: Protocol
  readonly config: Record<string, number>
  readonly adapter: string
  /** Accept an adapter whose replies observe no variable (then only its errors can diverge). */
  readonly allowEmptyObservation: boolean
  readonly mode: ConformMode
  readonly json: boolean
}

export interface ExploreCommand {
  readonly command: "explore"
  /** An ITF trace (replcheck's, Quint's, Apalache's). */
  readonly file: string
  /** Where the page goes; default: beside the trace, `.itf.json` replaced by `.html`. */
  readonly out: string | undefined
}

export interface DescribeCommand {
  readonly command: "describe"
  readonly protocol: Protocol
  readonly config: Record<string, number>
  readonly json: boolean
  /** The variant whose actions and variables to describe (default: base). */
  readonly variant: string
}

export interface ClusterCommand {
  readonly command: "cluster"
  readonly protocol: Protocol
  readonly implementation: ImplementationEntry
  readonly flags: FlagValues
  readonly out: string | undefined
  readonly json: boolean
}

export type Command =
  | ClusterCommand
  | ConformCommand
  | CheckCommand
  | VerdictsCommand
  | ValidateCommand
  | SimulateCommand
  | DescribeCommand
  | ExploreCommand
  | { readonly command: "list"; readonly json: boolean }
  | { readonly command: "help"; readonly topic?: string; readonly protocol?: string }
  | { readonly command: "version" }

/** How often a search with --checkpoint writes one, by default: every 10 minutes. */
export const DEFAULT_CHECKPOINT_SECONDS = 600

const fail = (message: string): { readonly ok: false; readonly error: UsageError } => ({ ok: false, error: new UsageError({ message }) })

/** A size in bytes: a number with an optional unit k, m, g or t (powers of 1024), e.g. 4g or 512m. */
export function byteSize(flag: string, raw: string): Parsed<number> {
  const m = /^([0-9]+(?:\.[0-9]+)?)([kmgt]?)i?b?$/i.exec(raw)
  if (m === null) return fail(`${flag}: expected a size such as 512m or 4g, got ${JSON.stringify(raw)}`)
  const unit = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g" | "t"]
  const bytes = Math.floor(Number(m[1]) * unit)
  if (bytes < 2 ** 20) return fail(`${flag}: expected at least 1m, got ${raw}`)
  return ok(bytes)
}

/**
 * The protocol argument of a command line, for `main` to resolve (loading a module is
 * asynchronous) before the rest is parsed; undefined when the command takes none or it is absent.
 * It is the word after the command.
 */
export function protocolArgument(argv: readonly string[]): string | undefined {
  const [command, target] = argv
  const c = command === undefined ? undefined : commandNamed(command)
  return c !== undefined && c.protocol !== "none" && target !== undefined && !target.startsWith("-") ? target : undefined
}

/** The command line's protocol, loaded: a built-in name, or a model module (compiled) by path; a UsageError when it cannot be. */
export async function resolveProtocol(argv: readonly string[]): Promise<Protocol | undefined> {
  const target = protocolArgument(argv)
  if (target === undefined) return undefined
  try {
    return await loadProtocol(target)
  } catch (e) {
    throw new UsageError({ message: e instanceof ProtocolLoadError ? e.message : `${target}: ${(e as Error).message}` })
  }
}

/** A flag's value as parsed: a switch's true, an integer, a string, or the values of a repeated or list flag. */
type FlagValue = boolean | number | string | readonly string[]

/** The flags given and the arguments that are not flags, of one command line. */
class GivenFlags {
  constructor(
    readonly values: ReadonlyMap<string, FlagValue>,
    readonly operands: readonly string[]
  ) {}
  has(name: string): boolean {
    return this.values.has(name)
  }
  switch(name: string): boolean {
    return this.values.get(name) === true
  }
  int(name: string): number | undefined {
    return this.values.get(name) as number | undefined
  }
  text(name: string): string | undefined {
    return this.values.get(name) as string | undefined
  }
  texts(name: string): readonly string[] {
    return (this.values.get(name) as readonly string[] | undefined) ?? []
  }
}

/** What a value-taking flag needs, in its error: "a file", "a directory", "a value". */
const needs = (f: FlagDeclaration) => (f.kind !== "switch" && f.value === "FILE" ? "a file" : f.kind !== "switch" && f.value === "DIR" ? "a directory" : "a value")

/** One flag's value, checked against its declaration. */
function flagValue(label: string, f: FlagDeclaration, raw: string): Parsed<FlagValue> {
  switch (f.kind) {
    case "switch":
      return ok(true)
    case "int": {
      if (!/^-?[0-9]+$/.test(raw)) return fail(`${label}: expected an integer, got ${JSON.stringify(raw)}`)
      const n = Number(raw)
      if (n < f.min || n > f.max) return fail(`${label}: expected an integer between ${f.min} and ${f.max}, got ${raw}`)
      return ok(n)
    }
    case "size":
      return byteSize(label, raw)
    case "text":
      if (f.choices && !f.choices.includes(raw)) return fail(`${label}: expected ${f.choices.join(", ")}; got ${JSON.stringify(raw)}`)
      return ok(raw)
    case "list": {
      const names = raw === "none" ? [] : raw.split(",")
      const bad = names.find((n) => !f.choices.includes(n))
      const what = label.replace(/^--/, "").replace(/s$/, "")
      if (bad !== undefined) return fail(`${label}: unknown ${what} ${JSON.stringify(bad)} (${f.choices.join(", ")})`)
      return ok(names)
    }
  }
}

/**
 * Reads a command line's flags with Node's util.parseArgs (long and short forms, `--flag=value`,
 * `-w2`) and checks each against the command's declaration and the protocol's flags: an unknown
 * flag, a missing or malformed value, a value out of range, or a flag given twice that does not
 * repeat is a UsageError naming the flag.
 */
export function readFlags(
  c: CommandDeclaration,
  args: readonly string[],
  protocolFlags: Readonly<Record<string, FlagDeclaration>>,
  /** how errors name the command: "check raftmongo" */
  what: string
): Parsed<GivenFlags> {
  // A protocol's flag named like one of the command's would make one of the two unreachable.
  const clash = Object.keys(protocolFlags).find((name) => Object.hasOwn(c.flags, name))
  if (clash !== undefined) return fail(`${what}: the protocol's flag --${clash} has the name of ${c.name}'s own --${clash}; rename that bound`)
  const declared: Record<string, FlagDeclaration> = { ...protocolFlags, ...c.flags }
  const options: Record<string, { type: "boolean" | "string"; short?: string }> = {}
  for (const [name, f] of Object.entries(declared)) {
    options[name] = { type: f.kind === "switch" ? "boolean" : "string", ...("short" in f && f.short !== undefined ? { short: f.short } : {}) }
  }
  // Not strict: the tokens come back as given, and the messages below say what is wrong with them.
  const { tokens } = tokenize({ args: [...args], options, strict: false, allowPositionals: true, tokens: true })
  const values = new Map<string, FlagValue>()
  const operands: string[] = []
  for (const token of tokens) {
    if (token.kind === "positional") operands.push(token.value)
    if (token.kind !== "option") continue
    // Own properties only: --constructor or --__proto__ is an unknown flag, not Object's.
    const f = Object.hasOwn(declared, token.name) ? declared[token.name] : undefined
    if (f === undefined) {
      const known = Object.entries(declared).map(([n, d]) => flagLabel(n, d)).join(", ")
      return fail(`unknown flag ${token.rawName} for ${what} (flags: ${known}; see replcheck ${c.name} --help)`)
    }
    const label = `--${token.name}`
    const repeats = f.kind === "text" && f.repeats === true
    if (values.has(token.name) && !repeats) return fail(`${label} is given more than once (it takes one value; a second would replace the first)`)
    // A short flag's inline value may be written -i=NAME as well as -iNAME.
    let raw = token.value
    if (raw !== undefined && token.inlineValue && !token.rawName.startsWith("--") && raw.startsWith("=")) raw = raw.slice(1)
    if (f.kind === "switch") {
      if (raw !== undefined) return fail(`${label} takes no value (got ${JSON.stringify(raw)})`)
      values.set(token.name, true)
      continue
    }
    // A value taken from the next argument that is itself a flag means the value was left out.
    if (raw === undefined || raw === "" || (!token.inlineValue && raw.startsWith("-") && !/^-[0-9]/.test(raw))) return fail(`${label} needs ${needs(f)}`)
    const value = flagValue(label, f, raw)
    if (!value.ok) return value
    values.set(token.name, repeats ? [...((values.get(token.name) as string[] | undefined) ?? []), value.value as string] : value.value)
  }
  return ok(new GivenFlags(values, operands))
}

const known = () => `${BUILT_IN_NAMES.join(", ")}; or the path of a model module`

/** The bounds given as flags, decoded against the protocol's (the defaults for the rest). */
function configOf(protocol: Protocol, given: GivenFlags): Parsed<Record<string, number>> {
  const partial: Record<string, number> = {}
  for (const [field, flag] of Object.keys(protocol.bounds).map((f) => [f, Object.keys(boundFlags({ [f]: protocol.bounds[f]! }))[0]!] as const)) {
    const n = given.int(flag)
    if (n !== undefined) partial[field] = n
  }
  const config = readConfig(protocol.bounds, partial)
  return config.ok ? ok(config.config) : fail(config.message)
}

/** Parses a command line; `protocol` is what `protocolArgument` named, already resolved. */
export function parseArgs(argv: readonly string[], protocol?: Protocol): Parsed<Command> {
  const quick = quickAnswer(argv)
  if (quick !== null) return ok(quick)
  // quickAnswer took the empty command line (help).
  const [name, ...rest] = argv as readonly [string, ...string[]]
  const c = commandNamed(name)
  if (c === undefined) return fail(`unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.map((d) => d.name).join(", ")}, help)`)
  if (c.protocol === "required" && protocol === undefined) return fail(`${name} needs a protocol (one of: ${known()})`)
  const args = protocol === undefined ? rest : rest.slice(1)
  const implementation = c.protocolFlags === "implementation" && protocol ? implementationEntries.find((r) => r.protocol === protocol.name) : undefined
  if (c.protocolFlags === "implementation" && protocol && !implementation) {
    return fail(`${protocol.name} has no reference implementation to run (protocols with one: ${implementationEntries.map((r) => r.protocol).join(", ")})`)
  }
  const fromProtocol = !protocol ? {} : c.protocolFlags === "bounds" ? boundFlags(protocol.bounds) : implementation ? implementationFlags(implementation.flags) : {}
  const read = readFlags(c, args, fromProtocol, protocol ? `${name} ${protocol.name}` : name)
  if (!read.ok) return read
  const given = read.value
  const operands = given.operands
  if (c.operands === undefined && operands.length > 0) return fail(`${name}: unexpected argument ${JSON.stringify(operands[0])} (see replcheck ${name} --help)`)
  if (c.operands !== undefined && !c.operands.many && operands.length > 1) return fail(`${name} takes one ${c.operands.name}, not ${operands.length}`)
  switch (c.name) {
    case "list":
      return ok({ command: "list", json: given.switch("json") })
    case "explore":
      if (operands.length === 0) return fail("explore needs an ITF trace file (trace.itf.json)")
      return ok({ command: "explore", file: operands[0]!, out: given.text("out") })
    case "verdicts":
      return verdictsCommand(protocol, given)
    case "validate":
      return validateCommand(protocol!, given)
    case "cluster":
      return ok({ command: "cluster", protocol: protocol!, implementation: implementation!, flags: clusterFlags(implementation!, given), out: given.text("out"), json: given.switch("json") })
  }
  const configRead = configOf(protocol!, given)
  if (!configRead.ok) return configRead
  const config = configRead.value
  if (c.name === "describe") {
    const variant = given.text("variant") ?? BASE_VARIANT
    if (!protocol!.variants.some((v) => v.name === variant)) {
      return fail(`unknown variant ${JSON.stringify(variant)} of ${protocol!.name} (known: ${protocol!.variants.map((v) => v.name).join(", ")})`)
    }
    return ok({ command: "describe", protocol: protocol!, config, json: given.switch("json"), variant })
  }
  return c.name === "simulate"
      ? simulateCommand(protocol!, config, given)
      : c.name === "conform"
        ? conformCommand(protocol!, config, given)
        : checkCommand(protocol!, config, given)
}

function checkCommand(protocol: Protocol, config: Record<string, number>, given: GivenFlags): Parsed<Command> {
  const variant = given.text("variant") ?? BASE_VARIANT
  if (!protocol.variants.some((v) => v.name === variant)) {
    return fail(`unknown variant ${JSON.stringify(variant)} of ${protocol.name} (known: ${protocol.variants.map((v) => v.name).join(", ")})`)
  }
  if (given.switch("symmetry") && !protocol.symmetric) return fail(`${protocol.name} declares no symmetry`)
  const simulate = given.switch("simulate")
  const liveness = given.switch("liveness")
  const has = (...names: string[]) => names.some((n) => given.has(n))
  if (!simulate && has("runs", "depth", "seed")) return fail("--runs, --depth and --seed go with --simulate")
  if (simulate) {
    // A search's caps do not apply to walks.
    if (has("symmetry", "max-depth", "max-states", "memory")) return fail("--symmetry, --max-depth, --max-states and --memory are for the exhaustive search, not --simulate (use --depth)")
    if (has("checkpoint", "checkpoint-every", "resume", "disk")) return fail("--checkpoint, --checkpoint-every, --resume and --disk are for the exhaustive search, not --simulate")
    if (has("dot")) return fail("--dot draws the reachable graph: it goes with the exhaustive search, not --simulate")
  }
  if (has("property") && !liveness) return fail("--property goes with --liveness")
  if (liveness) {
    if (simulate) return fail("--liveness checks the whole reachable graph; it does not go with --simulate")
    if (has("symmetry")) return fail("--liveness is checked without symmetry reduction (a property of one node is not one of its orbit)")
    if (has("invariant", "deadlock", "dot", "checkpoint", "resume", "max-depth", "max-states", "disk")) {
      return fail("--liveness checks temporal properties only: --invariant, --deadlock, --dot, --checkpoint, --resume, --max-depth, --max-states and --disk go with the invariant search")
    }
  }
  if (has("checkpoint-every") && !has("checkpoint", "resume")) return fail("--checkpoint-every goes with --checkpoint DIR (or --resume DIR)")
  if (has("disk")) {
    if ((given.int("workers") ?? 1) > 1) return fail("--disk searches on one thread: leave out --workers")
    if (has("checkpoint", "resume")) return fail("--disk keeps no checkpoint: --checkpoint and --resume go with the search in memory")
  }
  // A resumed search goes on checkpointing, to the directory it resumed from unless told otherwise.
  const checkpointTo = given.text("checkpoint") ?? given.text("resume")
  const invariants = given.texts("invariant")
  const properties = given.texts("property")
  return ok({
    command: "check",
    simulate: simulate ? { runs: given.int("runs") ?? 1000, depth: given.int("depth") ?? 100, seed: given.int("seed") ?? 1 } : undefined,
    protocol,
    config,
    variant,
    workers: given.int("workers") ?? 1,
    symmetry: given.switch("symmetry"),
    deadlock: given.switch("deadlock"),
    invariants: invariants.length > 0 ? invariants : undefined,
    maxDepth: given.int("max-depth"),
    maxStates: given.int("max-states"),
    memory: given.int("memory"),
    checkpoint: checkpointTo === undefined ? undefined : { dir: checkpointTo, everySeconds: given.int("checkpoint-every") ?? DEFAULT_CHECKPOINT_SECONDS },
    resume: given.text("resume"),
    disk: given.text("disk"),
    json: given.switch("json"),
    html: given.switch("html"),
    dot: given.text("dot"),
    liveness: liveness ? { properties: properties.length > 0 ? properties : undefined } : undefined,
    out: given.text("out") ?? "traces/out"
  })
}

function verdictsCommand(protocol: Protocol | undefined, given: GivenFlags): Parsed<Command> {
  // Whether a protocol has a manifest is checked where the protocols are loaded (main.ts).
  return ok({
    command: "verdicts",
    protocol,
    workers: given.int("workers") ?? 1,
    json: given.switch("json"),
    traces: given.text("traces") ?? "traces/out",
    quick: given.switch("quick")
  })
}

function validateCommand(protocol: Protocol, given: GivenFlags): Parsed<Command> {
  const paths = given.operands
  if (paths.length === 0) return fail("validate needs a trace file (or several, or a directory of them)")
  const window = given.text("window")
  const itf = given.text("itf")
  if (paths.length > 1 && (window !== undefined || itf !== undefined)) return fail(`${window !== undefined ? "--window" : "--itf"} takes one trace, not a batch of ${paths.length}`)
  const variant = given.text("variant") ?? BASE_VARIANT
  if (!protocol.variants.some((v) => v.name === variant)) {
    return fail(`unknown variant ${JSON.stringify(variant)} of ${protocol.name} (known: ${protocol.variants.map((v) => v.name).join(", ")})`)
  }
  return ok({ command: "validate", protocol, paths, internalSteps: given.int("internal-steps") ?? 0, json: given.switch("json"), window, itf, workers: given.int("workers") ?? 1, variant })
}

function simulateCommand(protocol: Protocol, config: Record<string, number>, given: GivenFlags): Parsed<Command> {
  const hidden = given.texts("hide")
  const model = protocol.build(config, BASE_VARIANT)
  for (const name of hidden) {
    if (!model.families.some((f) => f.name === name)) return fail(`--hide: unknown action ${name} of ${protocol.name}`)
  }
  return ok({
    command: "simulate",
    protocol,
    config,
    steps: given.int("steps") ?? 100,
    seed: given.int("seed") ?? 1,
    observe: (given.text("observe") ?? "full") as SimulateCommand["observe"],
    hidden,
    prefer: given.texts("prefer"),
    out: given.text("out")
  })
}

function conformCommand(protocol: Protocol, config: Record<string, number>, given: GivenFlags): Parsed<Command> {
  const adapter = given.text("adapter")
  if (adapter === undefined) return fail('conform needs --adapter "<command>"')
  const random = given.switch("random")
  const depth = given.int("depth")
  const prefer = given.texts("prefer")
  if (random && depth !== undefined) return fail("--depth and --random exclude each other")
  if (given.switch("guided") && !random) return fail("--guided steers --random runs; give --random too")
  if (given.switch("implementation-driven") && (random || depth !== undefined || prefer.length > 0)) {
    return fail("--implementation-driven runs let the implementation choose: leave out --random, --depth and --prefer")
  }
  const seed = given.int("seed") ?? 1
  const runs = given.int("runs") ?? 20
  const steps = given.int("steps") ?? 30
  const mode: ConformCommand["mode"] = given.switch("implementation-driven")
    ? { kind: "implementation", seed, runs, steps }
    : random
      ? { kind: "random", seed, runs, steps, prefer, guided: given.switch("guided") }
      : { kind: "depth", depth: depth ?? 3 }
  return ok({ command: "conform", protocol, config, adapter, allowEmptyObservation: given.switch("allow-empty-observation"), mode, json: given.switch("json") })
}

/** The implementation's flags, each given or its default. */
function clusterFlags(implementation: ImplementationEntry, given: GivenFlags): FlagValues {
  const values: Record<string, number | readonly string[] | string | undefined> = {}
  for (const [name, spec] of Object.entries(implementation.flags)) {
    if (spec.kind === "int") values[name] = given.int(name) ?? spec.default
    else if (spec.kind === "list") values[name] = given.has(name) ? given.texts(name) : spec.default
    else if (spec.kind === "choice") values[name] = given.text(name) ?? spec.default
    else values[name] = given.text(name)
  }
  return values
}
