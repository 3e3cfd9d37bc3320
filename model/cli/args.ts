/** Parses `replcheck` command lines into commands; every mistake is a one-line UsageError. */
import { Data, Either } from "effect"
import { decodeConfig, flagName } from "../engine/config.js"
import { BASE_VARIANT, type Protocol } from "../kit/index.js"
import type { ConformMode } from "../trace/conform.js"
import { builtInProtocols } from "../protocols/index.js"
import { referenceImplementations, type FlagValues, type ReferenceImplementation } from "../../impl/index.js"
import { quickAnswer } from "./usage.js"

export { USAGE, usageOf } from "./usage.js"

export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

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
  /** `--simulate`: random walks checking the invariants, instead of the exhaustive search. */
  readonly simulate: { readonly runs: number; readonly depth: number; readonly seed: number } | undefined
}

export interface VerdictsCommand {
  readonly command: "verdicts"
  /** The protocols whose manifests to run: the one named, or every built-in one that has a manifest. */
  readonly protocols: readonly Protocol[]
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
}

export interface ClusterCommand {
  readonly command: "cluster"
  readonly protocol: Protocol
  readonly implementation: ReferenceImplementation
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
  | { readonly command: "help"; readonly topic?: string }
  | { readonly command: "version" }

/** How often a search with --checkpoint writes one, by default: every 10 minutes. */
export const DEFAULT_CHECKPOINT_SECONDS = 600

const fail = (message: string) => Either.left(new UsageError({ message }))

/** The short flags, for the flags given most: `-w 2` is `--workers 2`. */
export const SHORT_FLAGS: Readonly<Record<string, string>> = { "-w": "--workers", "-i": "--invariant", "-o": "--out" }

/**
 * The form the parsers read: `--flag=value` as two arguments (`--flag value`), and a short flag as
 * its long one (`-w 2` and `-w2` as `--workers 2`).
 */
export function splitFlagValues(argv: readonly string[]): string[] {
  return argv.flatMap((a) => {
    const eq = a.indexOf("=")
    if (a.startsWith("--") && eq > 2) return [a.slice(0, eq), a.slice(eq + 1)]
    const long = SHORT_FLAGS[a.slice(0, 2)]
    if (long === undefined) return [a]
    return a.length > 2 ? [long, a.slice(a[2] === "=" ? 3 : 2)] : [long]
  })
}

function integer(flag: string, raw: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): Either.Either<number, UsageError> {
  if (raw === undefined || raw.startsWith("--")) return fail(`${flag} needs a value`)
  if (!/^-?[0-9]+$/.test(raw)) return fail(`${flag}: expected an integer, got ${JSON.stringify(raw)}`)
  const n = Number(raw)
  if (n < min || n > max) return fail(`${flag}: expected an integer between ${min} and ${max}, got ${raw}`)
  return Either.right(n)
}

/** A size in bytes: a number with an optional unit k, m, g or t (powers of 1024), e.g. 4g or 512m. */
export function byteSize(flag: string, raw: string | undefined): Either.Either<number, UsageError> {
  if (raw === undefined || raw.startsWith("--")) return fail(`${flag} needs a size`)
  const m = /^([0-9]+(?:\.[0-9]+)?)([kmgt]?)i?b?$/i.exec(raw)
  if (m === null) return fail(`${flag}: expected a size such as 512m or 4g, got ${JSON.stringify(raw)}`)
  const unit = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g" | "t"]
  const bytes = Math.floor(Number(m[1]) * unit)
  if (bytes < 2 ** 20) return fail(`${flag}: expected at least 1m, got ${raw}`)
  return Either.right(bytes)
}

/** The commands that take a protocol (a built-in name or a module path) as their first argument. */
const WITH_PROTOCOL = ["check", "verdicts", "validate", "simulate", "conform", "cluster", "describe"]

/**
 * The protocol argument of a command line, for `main` to resolve (loading a module is
 * asynchronous) before the rest is parsed; undefined when the command takes none or it is absent.
 */
export function protocolArgument(argv: readonly string[]): string | undefined {
  const [command, target] = argv
  return command !== undefined && WITH_PROTOCOL.includes(command) && target !== undefined && !target.startsWith("--") ? target : undefined
}

/** Flags that may be given several times, each adding a value. */
const REPEATABLE = new Set(["--invariant", "--hide", "--prefer", "--property"])

/** The first flag given twice that does not repeat, if any (so that no value is silently dropped). */
function repeatedFlag(tokens: readonly string[]): string | undefined {
  const seen = new Set<string>()
  for (const t of tokens) {
    if (!t.startsWith("--") || REPEATABLE.has(t)) continue
    if (seen.has(t)) return t
    seen.add(t)
  }
  return undefined
}

const known = () => `${builtInProtocols.map((p) => p.name).join(", ")}; or the path of a model module`

/** Parses a command line; `protocol` is what `protocolArgument` named, already resolved. */
export function parseArgs(argv: readonly string[], protocol?: Protocol): Either.Either<Command, UsageError> {
  const quick = quickAnswer(argv)
  if (quick !== null) return Either.right(quick)
  // quickAnswer took the empty command line (help).
  const [command, ...rest] = argv as readonly [string, ...string[]]
  if (command === "list") {
    for (const a of rest) if (a !== "--json") return fail(`list: unknown argument ${a}`)
    return Either.right({ command: "list", json: rest.includes("--json") })
  }
  if (command === "explore") return parseExplore(rest)
  if (!WITH_PROTOCOL.includes(command)) {
    return fail(`unknown command ${JSON.stringify(command)} (commands: check, verdicts, validate, simulate, conform, cluster, describe, explore, list, help)`)
  }
  const repeated = repeatedFlag(rest)
  if (repeated !== undefined) return fail(`${repeated} is given more than once (it takes one value; only --invariant, --property, --hide and --prefer repeat)`)
  const [, ...flags] = rest
  if (command === "verdicts") return parseVerdicts(protocol, protocol === undefined ? rest : flags)
  if (protocol === undefined) return fail(`${command} needs a protocol (one of: ${known()})`)
  if (command === "validate") return parseValidate(protocol, flags)
  if (command === "simulate") return parseSimulate(protocol, flags)
  if (command === "conform") return parseConform(protocol, flags)
  if (command === "cluster") return parseCluster(protocol, flags)
  if (command === "describe") return parseDescribe(protocol, flags)
  const bounds = new Map(Object.keys(protocol.bounds).map((f) => [`--${flagName(f)}`, f]))
  const partial: Record<string, number> = {}
  let variant = BASE_VARIANT
  let workers = 1
  let symmetry = false
  let deadlock = false
  let json = false
  let html = false
  let dot: string | undefined
  let liveness = false
  const properties: string[] = []
  let out = "traces/out"
  let maxDepth: number | undefined
  let maxStates: number | undefined
  let memory: number | undefined
  let checkpointDir: string | undefined
  let checkpointEvery: number | undefined
  let resume: string | undefined
  let simulate = false
  let runs: number | undefined
  let depth: number | undefined
  let seed: number | undefined
  const invariants: string[] = []
  for (let k = 0; k < flags.length; k++) {
    const flag = flags[k]!
    const value = flags[k + 1]
    const take = <A>(r: Either.Either<A, UsageError>): A => {
      if (Either.isLeft(r)) throw r.left
      k++
      return r.right
    }
    try {
      const field = bounds.get(flag)
      if (field !== undefined) {
        // The range is the config schema's to check, so its message names the bound's rule.
        partial[field] = take(integer(flag, value, Number.MIN_SAFE_INTEGER))
        continue
      }
      switch (flag) {
        case "--variant":
          if (value === undefined || value.startsWith("--")) return fail("--variant needs a value")
          if (!protocol.variants.some((v) => v.name === value)) {
            return fail(`unknown variant ${JSON.stringify(value)} of ${protocol.name} (known: ${protocol.variants.map((v) => v.name).join(", ")})`)
          }
          variant = value
          k++
          break
        case "--invariant":
          if (value === undefined || value.startsWith("--")) return fail("--invariant needs a value")
          invariants.push(value)
          k++
          break
        case "--workers":
          workers = take(integer(flag, value, 1, 64))
          break
        case "--max-depth":
          maxDepth = take(integer(flag, value, 1))
          break
        case "--max-states":
          maxStates = take(integer(flag, value, 1))
          break
        case "--out":
          if (value === undefined || value.startsWith("--")) return fail("--out needs a directory")
          out = value
          k++
          break
        case "--symmetry":
          if (!protocol.symmetric) return fail(`${protocol.name} declares no symmetry`)
          symmetry = true
          break
        case "--deadlock":
          deadlock = true
          break
        case "--json":
          json = true
          break
        case "--html":
          html = true
          break
        case "--liveness":
          liveness = true
          break
        case "--property":
          if (value === undefined || value.startsWith("--")) return fail("--property needs a value")
          properties.push(value)
          k++
          break
        case "--dot":
          if (value === undefined || value.startsWith("--")) return fail("--dot needs a file")
          dot = value
          k++
          break
        case "--memory":
          memory = take(byteSize(flag, value))
          break
        case "--checkpoint":
        case "--resume":
          if (value === undefined || value.startsWith("--")) return fail(`${flag} needs a directory`)
          if (flag === "--checkpoint") checkpointDir = value
          else resume = value
          k++
          break
        case "--checkpoint-every":
          checkpointEvery = take(integer(flag, value, 0))
          break
        case "--simulate":
          simulate = true
          break
        case "--runs":
          runs = take(integer(flag, value, 1))
          break
        case "--depth":
          depth = take(integer(flag, value, 1))
          break
        case "--seed":
          seed = take(integer(flag, value, 0, 2 ** 32 - 1))
          break
        default:
          return fail(`unknown flag ${flag} for ${protocol.name} (bounds: ${[...bounds.keys()].join(", ")}; see replcheck help)`)
      }
    } catch (e) {
      if (e instanceof UsageError) return Either.left(e)
      throw e
    }
  }
  if (!simulate && (runs !== undefined || depth !== undefined || seed !== undefined)) return fail("--runs, --depth and --seed go with --simulate")
  if (simulate) {
    // A search's caps do not apply to walks.
    if (symmetry || maxDepth !== undefined || maxStates !== undefined || memory !== undefined) return fail("--symmetry, --max-depth, --max-states and --memory are for the exhaustive search, not --simulate (use --depth)")
    if (checkpointDir !== undefined || checkpointEvery !== undefined || resume !== undefined) return fail("--checkpoint, --checkpoint-every and --resume are for the exhaustive search, not --simulate")
    if (dot !== undefined) return fail("--dot draws the reachable graph: it goes with the exhaustive search, not --simulate")
  }
  if (properties.length > 0 && !liveness) return fail("--property goes with --liveness")
  if (liveness) {
    if (simulate) return fail("--liveness checks the whole reachable graph; it does not go with --simulate")
    if (symmetry) return fail("--liveness is checked without symmetry reduction (a property of one node is not one of its orbit)")
    if (invariants.length > 0 || deadlock || dot !== undefined || checkpointDir !== undefined || resume !== undefined || maxDepth !== undefined || maxStates !== undefined) {
      return fail("--liveness checks temporal properties only: --invariant, --deadlock, --dot, --checkpoint, --resume, --max-depth and --max-states go with the invariant search")
    }
  }
  if (checkpointEvery !== undefined && checkpointDir === undefined && resume === undefined) return fail("--checkpoint-every goes with --checkpoint DIR (or --resume DIR)")
  // A resumed search goes on checkpointing, to the directory it resumed from unless told otherwise.
  const checkpointTo = checkpointDir ?? resume
  const config = decodeConfig(protocol.bounds, partial)
  if (Either.isLeft(config)) return fail(config.left)
  return Either.right({
    command: "check",
    simulate: simulate ? { runs: runs ?? 1000, depth: depth ?? 100, seed: seed ?? 1 } : undefined,
    protocol,
    config: config.right,
    variant,
    workers,
    symmetry,
    deadlock,
    invariants: invariants.length > 0 ? invariants : undefined,
    maxDepth,
    maxStates,
    memory,
    checkpoint: checkpointTo === undefined ? undefined : { dir: checkpointTo, everySeconds: checkpointEvery ?? DEFAULT_CHECKPOINT_SECONDS },
    resume,
    json,
    html,
    dot,
    liveness: liveness ? { properties: properties.length > 0 ? properties : undefined } : undefined,
    out
  })
}

function parseExplore(args: readonly string[]): Either.Either<Command, UsageError> {
  const [file, ...flags] = args
  if (file === undefined || file.startsWith("--")) return fail("explore needs an ITF trace file (trace.itf.json)")
  let out: string | undefined
  for (let k = 0; k < flags.length; k++) {
    if (flags[k] !== "--out") return fail(`unknown argument ${flags[k]} for explore (flags: --out FILE)`)
    out = flags[k + 1]
    if (out === undefined || out.startsWith("--")) return fail("--out needs a file")
    k++
  }
  return Either.right({ command: "explore", file, out })
}

function parseDescribe(protocol: Protocol, flags: readonly string[]): Either.Either<Command, UsageError> {
  const bounds = new Map(Object.keys(protocol.bounds).map((f) => [`--${flagName(f)}`, f]))
  const partial: Record<string, number> = {}
  let json = false
  for (let k = 0; k < flags.length; k++) {
    const flag = flags[k]!
    const field = bounds.get(flag)
    if (field !== undefined) {
      const n = integer(flag, flags[k + 1], Number.MIN_SAFE_INTEGER)
      if (Either.isLeft(n)) return Either.left(n.left)
      partial[field] = n.right
      k++
    } else if (flag === "--json") json = true
    else return fail(`unknown flag ${flag} for describe (bounds: ${[...bounds.keys()].join(", ")}; --json)`)
  }
  const config = decodeConfig(protocol.bounds, partial)
  if (Either.isLeft(config)) return fail(config.left)
  return Either.right({ command: "describe", protocol, config: config.right, json })
}

function parseVerdicts(protocol: Protocol | undefined, flags: readonly string[]): Either.Either<Command, UsageError> {
  let workers = 1
  let json = false
  let quick = false
  let traces = "traces/out"
  for (let k = 0; k < flags.length; k++) {
    const flag = flags[k]!
    const value = flags[k + 1]
    if (flag === "--json") json = true
    else if (flag === "--quick") quick = true
    else if (flag === "--workers") {
      const n = integer(flag, value, 1, 64)
      if (Either.isLeft(n)) return Either.left(n.left)
      workers = n.right
      k++
    } else if (flag === "--traces") {
      if (value === undefined || value.startsWith("--")) return fail("--traces needs a directory")
      traces = value
      k++
    } else return fail(`unknown flag ${flag} for verdicts (flags: --workers, --json, --traces, --quick)`)
  }
  const withManifest = builtInProtocols.filter((p) => p.manifest !== undefined)
  if (protocol !== undefined && protocol.manifest === undefined) {
    return fail(`${protocol.name} has no recorded verdicts (a manifest; built-in protocols with one: ${withManifest.map((p) => p.name).join(", ")})`)
  }
  return Either.right({ command: "verdicts", protocols: protocol ? [protocol] : withManifest, workers, json, traces, quick })
}

function parseValidate(protocol: Protocol, flags: readonly string[]): Either.Either<Command, UsageError> {
  const paths: string[] = []
  while (paths.length < flags.length && !flags[paths.length]!.startsWith("--")) paths.push(flags[paths.length]!)
  if (paths.length === 0) return fail("validate needs a trace file (or several, or a directory of them)")
  const rest = flags.slice(paths.length)
  let internalSteps = 0
  let json = false
  let window: string | undefined
  let itf: string | undefined
  for (let k = 0; k < rest.length; k++) {
    const flag = rest[k]!
    if (flag === "--json") json = true
    else if (flag === "--window" || flag === "--itf") {
      const value = rest[k + 1]
      if (value === undefined || value.startsWith("--")) return fail(`${flag} needs a file`)
      if (flag === "--window") window = value
      else itf = value
      k++
    }
    else if (flag === "--internal-steps") {
      const n = integer(flag, rest[k + 1], 0, 16)
      if (Either.isLeft(n)) return Either.left(n.left)
      internalSteps = n.right
      k++
    } else return fail(flag.startsWith("--") ? `unknown flag ${flag} for validate (flags: --internal-steps, --window, --itf, --json)` : `validate: trace files come before the flags (${flag})`)
  }
  if (paths.length > 1 && (window !== undefined || itf !== undefined)) return fail(`${window !== undefined ? "--window" : "--itf"} takes one trace, not a batch of ${paths.length}`)
  return Either.right({ command: "validate", protocol, paths, internalSteps, json, window, itf })
}

function parseSimulate(protocol: Protocol, flags: readonly string[]): Either.Either<Command, UsageError> {
  const bounds = new Map(Object.keys(protocol.bounds).map((f) => [`--${flagName(f)}`, f]))
  const partial: Record<string, number> = {}
  let steps = 100
  let seed = 1
  let observe: SimulateCommand["observe"] = "full"
  const hidden: string[] = []
  const prefer: string[] = []
  let out: string | undefined
  for (let k = 0; k < flags.length; k++) {
    const flag = flags[k]!
    const value = flags[k + 1]
    const field = bounds.get(flag)
    const number = (min: number, max?: number) => integer(flag, value, min, max)
    let n: Either.Either<number, UsageError> | undefined
    if (field !== undefined) n = number(Number.MIN_SAFE_INTEGER)
    else if (flag === "--steps") n = number(0, 100_000_000)
    else if (flag === "--seed") n = number(0, 2 ** 32 - 1)
    else if (flag === "--observe") {
      if (value !== "full" && value !== "node" && value !== "none") return fail("--observe: expected full, node or none")
      observe = value
      k++
      continue
    } else if (flag === "--hide" || flag === "--out" || flag === "--prefer") {
      if (value === undefined || value.startsWith("--")) return fail(`${flag} needs a value`)
      if (flag === "--out") out = value
      else if (flag === "--prefer") prefer.push(value)
      else hidden.push(value)
      k++
      continue
    } else return fail(`unknown flag ${flag} for simulate (bounds: ${[...bounds.keys()].join(", ")}; --steps, --seed, --observe, --hide, --prefer, --out)`)
    if (Either.isLeft(n)) return Either.left(n.left)
    if (field !== undefined) partial[field] = n.right
    else if (flag === "--steps") steps = n.right
    else seed = n.right
    k++
  }
  const config = decodeConfig(protocol.bounds, partial)
  if (Either.isLeft(config)) return fail(config.left)
  const model = protocol.build(config.right, BASE_VARIANT)
  for (const name of hidden) {
    if (!model.families.some((f) => f.name === name)) return fail(`--hide: unknown action ${name} of ${protocol.name}`)
  }
  return Either.right({ command: "simulate", protocol, config: config.right, steps, seed, observe, hidden, prefer, out })
}

function parseConform(protocol: Protocol, flags: readonly string[]): Either.Either<Command, UsageError> {
  const bounds = new Map(Object.keys(protocol.bounds).map((f) => [`--${flagName(f)}`, f]))
  const partial: Record<string, number> = {}
  let adapter: string | undefined
  let depth: number | undefined
  let random = false
  let seed = 1
  let runs = 20
  let steps = 30
  const prefer: string[] = []
  let json = false
  let allowEmptyObservation = false
  let guided = false
  let implementationDriven = false
  for (let k = 0; k < flags.length; k++) {
    const flag = flags[k]!
    const value = flags[k + 1]
    if (flag === "--json") json = true
    else if (flag === "--random") random = true
    else if (flag === "--guided") guided = true
    else if (flag === "--implementation-driven") implementationDriven = true
    else if (flag === "--allow-empty-observation") allowEmptyObservation = true
    else if (flag === "--adapter" || flag === "--prefer") {
      if (value === undefined || value.startsWith("--")) return fail(`${flag} needs a value`)
      if (flag === "--adapter") adapter = value
      else prefer.push(value)
      k++
    } else {
      const field = bounds.get(flag)
      const ranges: Record<string, [number, number]> = { "--depth": [1, 12], "--seed": [0, 2 ** 32 - 1], "--runs": [1, 1_000_000], "--steps": [1, 1_000_000] }
      const range = field !== undefined ? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] : ranges[flag]
      if (range === undefined) return fail(`unknown flag ${flag} for conform (bounds: ${[...bounds.keys()].join(", ")}; --adapter, --depth, --random, --seed, --runs, --steps, --prefer, --guided, --implementation-driven, --allow-empty-observation, --json)`)
      const n = integer(flag, value, range[0]!, range[1])
      if (Either.isLeft(n)) return Either.left(n.left)
      if (field !== undefined) partial[field] = n.right
      else if (flag === "--depth") depth = n.right
      else if (flag === "--seed") seed = n.right
      else if (flag === "--runs") runs = n.right
      else steps = n.right
      k++
    }
  }
  if (adapter === undefined) return fail('conform needs --adapter "<command>"')
  if (random && depth !== undefined) return fail("--depth and --random exclude each other")
  if (guided && !random) return fail("--guided steers --random runs; give --random too")
  if (implementationDriven && (random || depth !== undefined || prefer.length > 0)) return fail("--implementation-driven runs let the implementation choose: leave out --random, --depth and --prefer")
  const config = decodeConfig(protocol.bounds, partial)
  if (Either.isLeft(config)) return fail(config.left)
  const mode: ConformCommand["mode"] = implementationDriven
    ? { kind: "implementation", seed, runs, steps }
    : random
      ? { kind: "random", seed, runs, steps, prefer, guided }
      : { kind: "depth", depth: depth ?? 3 }
  return Either.right({ command: "conform", protocol, config: config.right, adapter, allowEmptyObservation, mode, json })
}

type NumberFlags = Record<string, { value: number; min: number; max: number }>

/** Sets the numeric flag `flag` names, if it names one; Right(true) when it did (its value is consumed). */
function numberFlag(numbers: NumberFlags, flag: string, value: string | undefined): Either.Either<boolean, UsageError> {
  const spec = numbers[flag]
  if (!spec) return Either.right(false)
  return Either.map(integer(flag, value, spec.min, spec.max), (n) => ((spec.value = n), true))
}

/** A comma-separated list of known names, or "none". */
function nameList<T extends string>(flag: string, value: string | undefined, known: readonly T[], what: string): Either.Either<T[], UsageError> {
  if (value === undefined || value.startsWith("--")) return fail(`${flag} needs a list (${known.join(",")} or none)`)
  const list = value === "none" ? [] : value.split(",")
  const bad = list.find((b) => !(known as readonly string[]).includes(b))
  if (bad !== undefined) return fail(`${flag}: unknown ${what} ${JSON.stringify(bad)} (${known.join(", ")})`)
  return Either.right(list as T[])
}

/**
 * Walks a command's flags: numeric flags set `numbers`; any other goes to `other`, which says how
 * many following arguments it took (0 for a switch, 1 for a value), or fails.
 */
function walkFlags(
  flags: readonly string[],
  numbers: NumberFlags,
  other: (flag: string, value: string | undefined) => Either.Either<0 | 1, UsageError>
): Either.Either<void, UsageError> {
  for (let k = 0; k < flags.length; k++) {
    const flag = flags[k]!
    const value = flags[k + 1]
    const isNumber = numberFlag(numbers, flag, value)
    if (Either.isLeft(isNumber)) return Either.left(isNumber.left)
    const taken = isNumber.right ? Either.right(1 as const) : other(flag, value)
    if (Either.isLeft(taken)) return Either.left(taken.left)
    k += taken.right
  }
  return Either.right(undefined)
}

/** A flag's value that must be a non-empty path. */
const pathValue = (flag: string, value: string | undefined, what: "file" | "directory") =>
  value === undefined || value === "" || value.startsWith("--") ? fail(`${flag} needs a ${what}`) : Either.right(value)

function parseCluster(protocol: Protocol, flags: readonly string[]): Either.Either<Command, UsageError> {
  const implementation = referenceImplementations.find((r) => r.protocol === protocol.name)
  if (!implementation) {
    return fail(`${protocol.name} has no reference implementation to run (protocols with one: ${referenceImplementations.map((r) => r.protocol).join(", ")})`)
  }
  const numbers: NumberFlags = {}
  const values: Record<string, number | readonly string[] | string | undefined> = {}
  for (const [name, spec] of Object.entries(implementation.flags)) {
    if (spec.kind === "int") numbers[`--${name}`] = { value: spec.default, min: spec.min, max: spec.max }
    else if (spec.kind === "list") values[name] = spec.default
  }
  let out: string | undefined
  let json = false
  const names = [...Object.keys(implementation.flags).map((f) => `--${f}`), "--out", "--json"].join(", ")
  const walked = walkFlags(flags, numbers, (flag, value) => {
    const spec = implementation.flags[flag.replace(/^--/, "")]
    if (spec?.kind === "list") return Either.map(nameList(flag, value, spec.values, flag.replace(/^--/, "").replace(/s$/, "")), (list) => ((values[flag.slice(2)] = list), 1 as const))
    if (spec?.kind === "dir") return Either.map(pathValue(flag, value, "directory"), (dir) => ((values[flag.slice(2)] = dir), 1 as const))
    if (flag === "--out") return Either.map(pathValue(flag, value, "file"), (file) => ((out = file), 1 as const))
    if (flag === "--json") return (json = true), Either.right(0 as const)
    return fail(`unknown flag ${flag} for cluster ${protocol.name} (${names})`)
  })
  if (Either.isLeft(walked)) return Either.left(walked.left)
  for (const [flag, spec] of Object.entries(numbers)) values[flag.slice(2)] = spec.value
  return Either.right({ command: "cluster", protocol, implementation, flags: values, out, json })
}
