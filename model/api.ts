/**
 * replcheck as a library: check, simulate and validate a protocol from code, with the results
 * the CLI prints as data. A protocol is a `defineProtocol` result (from `replcheck/kit`), a
 * built-in protocol's name, or the path of a model module. Each function returns a Promise; the
 * same functions returning Effects are under `effects`, for programs written with Effect.
 *
 *   import { check } from "replcheck"
 *   const r = await check("./two-phase-commit.ts", { config: { rms: 3 } })
 *   r.distinct // 288
 */
import { createReadStream } from "node:fs"
import { access } from "node:fs/promises"
import { createInterface } from "node:readline"
import { Data, Effect, Either } from "effect"
import { decodeConfig } from "./engine/config.js"
import type { Progress } from "./engine/explorer.js"
import { WorkerThreads } from "./engine/parallel.js"
import type { TraceStep } from "./engine/path.js"
import { runSearch } from "./engine/run.js"
import { tuneV8 } from "./engine/tuning.js"
import { BASE_VARIANT, type KitModel, type Protocol } from "./kit/index.js"
import { builtInProtocols } from "./protocols/index.js"
import { loadProtocol, ProtocolLoadError, workerScript } from "./protocols/load.js"
import { renderTrace, toItfTrace } from "./trace/counterexample.js"
import type { ItfTrace } from "./trace/itf.js"
import { simulateTrace, type SimulateOptions } from "./trace/simulate.js"
import { TraceInputError, validateItf, validateTrace, type ValidationResult } from "./trace/validate.js"

export type { Protocol } from "./kit/index.js"
export type { ValidationResult, Rejection } from "./trace/validate.js"
export type { ItfTrace } from "./trace/itf.js"
export { builtInProtocols, loadProtocol }

/** Bad input (an unknown bound, variant, invariant or file, a malformed trace): one line saying what and where. */
export class ReplcheckInputError extends Data.TaggedError("ReplcheckInputError")<{ readonly message: string }> {}
/** The search itself failed (a worker died, or the model is not deterministic). */
export class ReplcheckSearchError extends Data.TaggedError("ReplcheckSearchError")<{ readonly message: string }> {}
export type ReplcheckError = ReplcheckInputError | ReplcheckSearchError

export interface CheckOptions {
  /** Bounds by name (camelCase); the protocol's defaults for the rest. */
  readonly config?: Readonly<Record<string, number>>
  readonly variant?: string
  /** Worker threads (default 1). Counts and counterexamples are the same for any number. */
  readonly workers?: number
  readonly symmetry?: boolean
  /** Report a state without successors as a violation. */
  readonly deadlock?: boolean
  /** Check only these invariants (default: all of the model's). */
  readonly invariants?: readonly string[]
  readonly maxDepth?: number
  readonly maxStates?: number
  /** Called about every `progressSeconds` (default 3) on long runs. */
  readonly onProgress?: (p: Progress) => void
  readonly progressSeconds?: number
}

/** One state of a counterexample: the readable state and the action that led to it. */
export interface CounterexampleStep {
  readonly state: Record<string, unknown>
  readonly action?: { readonly name: string; readonly args: Record<string, unknown> }
}

export interface CheckResult {
  readonly protocol: string
  readonly variant: string
  readonly config: Readonly<Record<string, number>>
  readonly generated: number
  readonly distinct: number
  readonly depth: number
  readonly seconds: number
  /** Every reachable state was explored (no cap stopped the search, no violation ended it). */
  readonly complete: boolean
  readonly stopped: null | { readonly cap: string; readonly limit: number; readonly unexplored: number }
  /** The shortest counterexample, as readable states, as an ITF document and as the text replcheck prints. */
  readonly violation: null | {
    readonly invariant: string
    readonly kind: "state" | "step" | "deadlock"
    readonly trace: readonly CounterexampleStep[]
    readonly itf: ItfTrace
    readonly text: string
  }
  /** Times each action fired. */
  readonly coverage: Readonly<Record<string, number>>
}

const protocolOf = (protocol: Protocol | string): Effect.Effect<Protocol, ReplcheckInputError> =>
  typeof protocol === "string"
    ? Effect.tryPromise({
        try: () => loadProtocol(protocol),
        catch: (e) => new ReplcheckInputError({ message: e instanceof ProtocolLoadError ? e.message : String((e as Error).message ?? e) })
      })
    : Effect.succeed(protocol)

const configOf = (protocol: Protocol, given: Readonly<Record<string, number>> | undefined) =>
  Effect.suspend(() => {
    const decoded = decodeConfig(protocol.bounds, given ?? {})
    return Either.isLeft(decoded) ? Effect.fail(new ReplcheckInputError({ message: decoded.left.replace(/^--[\w-]+/, (flag) => flag.slice(2)) })) : Effect.succeed(decoded.right)
  })

const buildOf = (protocol: Protocol, config: Record<string, number>, variant: string, symmetry: boolean) =>
  Effect.try({ try: () => protocol.build(config, variant, { symmetry }), catch: (e) => new ReplcheckInputError({ message: (e as Error).message }) })

const readable = (model: KitModel, steps: readonly TraceStep[]): CounterexampleStep[] =>
  steps.map((s) => ({ state: model.codec.decode(s.state), ...(s.action ? { action: s.action } : {}) }))

/** Explores every state reachable within the bounds and reports counts and the shortest counterexample. */
const checkEffect = (protocol: Protocol | string, options: CheckOptions = {}): Effect.Effect<CheckResult, ReplcheckError> =>
  Effect.gen(function* () {
    tuneV8()
    const p = yield* protocolOf(protocol)
    const config = yield* configOf(p, options.config)
    const variant = options.variant ?? BASE_VARIANT
    const symmetry = options.symmetry === true
    const model = yield* buildOf(p, config, variant, symmetry)
    const known = [...model.stateInvariants, ...model.stepInvariants].map((i) => i.name)
    const unknown = (options.invariants ?? []).find((n) => !known.includes(n))
    if (unknown !== undefined) return yield* Effect.fail(new ReplcheckInputError({ message: `unknown invariant ${unknown} (known: ${known.join(", ")})` }))
    const ref = { protocol: p.name, ...(p.source ? { source: p.source } : {}), variant, config, symmetry }
    const result = yield* runSearch(workerScript, ref, model, {
      workers: options.workers ?? 1,
      symmetry,
      deadlock: options.deadlock === true,
      invariants: options.invariants,
      maxDepth: options.maxDepth,
      maxStates: options.maxStates,
      onProgress: options.onProgress,
      progressSeconds: options.progressSeconds
    }).pipe(
      Effect.mapError((e) => new ReplcheckSearchError({ message: e.message })),
      Effect.provide(WorkerThreads.layer)
    )
    const v = result.violation
    const ctx = v ? { protocol: p.name, variant, config, invariant: v.invariant, kind: v.kind } : undefined
    return {
      protocol: p.name,
      variant,
      config,
      generated: result.generated,
      distinct: result.distinct,
      depth: result.depth,
      seconds: result.seconds,
      complete: result.stopped === null && v === null,
      stopped: result.stopped,
      violation: v && ctx ? { invariant: v.invariant, kind: v.kind, trace: readable(model, v.trace), itf: toItfTrace(model, v.trace, ctx), text: renderTrace(model, v.trace, ctx) } : null,
      coverage: Object.fromEntries(result.coverage.map((c) => [c.action, c.count]))
    }
  })

export interface SimulateApiOptions extends Partial<SimulateOptions> {
  readonly config?: Readonly<Record<string, number>>
}

/** A seeded random run of the model, as the lines of an implementation trace (NDJSON, header first). */
const simulateEffect = (protocol: Protocol | string, options: SimulateApiOptions = {}): Effect.Effect<string[], ReplcheckError> =>
  Effect.gen(function* () {
    const p = yield* protocolOf(protocol)
    const config = yield* configOf(p, options.config)
    const model = yield* buildOf(p, config, BASE_VARIANT, false)
    return simulateTrace(p.name, config, model, { steps: options.steps ?? 100, seed: options.seed ?? 1, observe: options.observe ?? "full", hidden: options.hidden ?? [], prefer: options.prefer ?? [] })
  })

export interface ValidateOptions {
  /** Unlogged internal steps the implementation may take before each event (default 0). */
  readonly internalSteps?: number
  /** The variant to validate against (default: the base model). */
  readonly variant?: string
}

/**
 * Is an implementation's trace a run of the model? `trace` is a file (NDJSON, or ITF when it ends
 * in .itf.json) or the trace's lines.
 */
const validateEffect = (
  protocol: Protocol | string,
  trace: string | Iterable<string> | AsyncIterable<string>,
  options: ValidateOptions = {}
): Effect.Effect<ValidationResult, ReplcheckError> =>
  Effect.gen(function* () {
    const p = yield* protocolOf(protocol)
    const name = typeof trace === "string" ? trace : "trace"
    return yield* Effect.tryPromise({
      try: async () => {
        if (typeof trace === "string" && trace.endsWith(".itf.json")) {
          const { readFile } = await import("node:fs/promises")
          return validateItf(p, JSON.parse(await readFile(trace, "utf8")), trace)
        }
        let lines: AsyncIterable<string>
        if (typeof trace === "string") {
          await access(trace)
          lines = createInterface({ input: createReadStream(trace, "utf8"), crlfDelay: Infinity })
        } else lines = Symbol.asyncIterator in trace ? trace : (async function* () { yield* trace })()
        return validateTrace(p, p.traceMapping ?? { internal: [] }, lines, name, { internalSteps: options.internalSteps ?? 0, ...(options.variant ? { variant: options.variant } : {}) })
      },
      catch: (e) => new ReplcheckInputError({ message: e instanceof TraceInputError ? e.message : `${name}: ${(e as Error).message}` })
    })
  })

/** The same functions, returning Effects (errors: ReplcheckInputError, ReplcheckSearchError). */
export const effects = { check: checkEffect, simulate: simulateEffect, validate: validateEffect }

/** Runs an Effect of this module; a failure rejects with an Error named after its tag. */
const run = <A>(e: Effect.Effect<A, ReplcheckError>): Promise<A> =>
  Effect.runPromise(Effect.either(e)).then((r) => (Either.isLeft(r) ? Promise.reject(Object.assign(new Error(r.left.message), { name: r.left._tag })) : r.right))

/** Explores every state reachable within the bounds; resolves to counts and the shortest counterexample. */
export const check = (protocol: Protocol | string, options?: CheckOptions): Promise<CheckResult> => run(checkEffect(protocol, options))
/** A seeded random run of the model as the lines of an implementation trace. */
export const simulate = (protocol: Protocol | string, options?: SimulateApiOptions): Promise<string[]> => run(simulateEffect(protocol, options))
/** Whether an implementation trace (a file or its lines) is a run of the model, and if not where and why. */
export const validate = (protocol: Protocol | string, trace: string | Iterable<string> | AsyncIterable<string>, options?: ValidateOptions): Promise<ValidationResult> =>
  run(validateEffect(protocol, trace, options))
