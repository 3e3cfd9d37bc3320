/**
 * Conformance testing through an adapter: replcheck chooses the steps from the model, the
 * adapter applies each to the implementation and replies with what it observes, and every reply
 * is compared with the model's state after the same steps. The first disagreement is reported
 * with the run that led to it.
 */
import { spawn } from "node:child_process"
import { Either, Schema } from "effect"
import type { Model } from "../engine/model.js"
import { successorsOf, type TraceStep } from "../engine/path.js"
import { ADAPTER_VERSION, AdapterReply, type AdapterRequest } from "./adapter-protocol.js"
import { prng } from "./prng.js"
import { pickStep } from "./simulate.js"

/** The adapter broke the protocol, crashed or timed out. */
export class AdapterFailed extends Error {
  override readonly name = "AdapterFailed"
}

export interface AdapterLink {
  request(req: AdapterRequest): Promise<AdapterReply>
  /** Says bye, then ends the adapter's whole process group (SIGTERM, then SIGKILL); bounded in time. */
  close(): Promise<void>
}

export interface AdapterOptions {
  /** How long a reply may take. */
  readonly timeoutMs?: number
  /** The longest reply line accepted, in bytes. */
  readonly maxLineBytes?: number
  /** How long the adapter has after bye, and again after SIGTERM, before the next signal. */
  readonly graceMs?: number
}

/** The longest reply line an adapter may write (a state of the largest models is far smaller). */
export const MAX_REPLY_LINE_BYTES = 64 * 1024 * 1024

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Starts `command` in a shell, in a process group of its own so that everything it starts can be
 * ended with it, and talks the adapter protocol with it: one reply line per request, no more.
 */
export function spawnAdapter(command: string, options: AdapterOptions = {}): AdapterLink {
  const timeoutMs = options.timeoutMs ?? 10_000
  const maxLineBytes = options.maxLineBytes ?? MAX_REPLY_LINE_BYTES
  const graceMs = options.graceMs ?? 1_000
  const child = spawn("sh", ["-c", command], { stdio: ["pipe", "pipe", "inherit"], detached: true })
  const waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = []
  let failure: Error | null = null
  const fail = (e: Error) => {
    failure ??= e
    for (const w of waiting.splice(0)) w.reject(failure)
  }
  // Lines split by hand, so that a line without end is refused at the limit instead of growing
  // until the string limit throws.
  let partial: Buffer[] = []
  let partialBytes = 0
  const onLine = (line: string) => {
    const w = waiting.shift()
    if (w) w.resolve(line)
    else fail(new AdapterFailed(`the adapter wrote a line that answers no request: ${line.slice(0, 120)}`))
  }
  child.stdout.on("data", (chunk: Buffer) => {
    let from = 0
    for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
      const line = Buffer.concat([...partial, chunk.subarray(from, nl)]).toString("utf8")
      partial = []
      partialBytes = 0
      from = nl + 1
      onLine(line.endsWith("\r") ? line.slice(0, -1) : line)
    }
    if (from < chunk.length) {
      partial.push(chunk.subarray(from))
      partialBytes += chunk.length - from
      if (partialBytes > maxLineBytes) {
        partial = []
        fail(new AdapterFailed(`the adapter wrote a line longer than ${maxLineBytes.toLocaleString("en-US")} bytes`))
        child.stdout.destroy()
      }
    }
  })
  child.on("error", (e) => fail(new AdapterFailed(`cannot start the adapter: ${e.message}`)))
  child.on("exit", (code, signal) => fail(new AdapterFailed(`the adapter exited (${signal ?? `code ${code}`})`)))
  child.stdin.on("error", () => {})
  const decode = Schema.decodeUnknownEither(AdapterReply)
  /** Is any process of the adapter's group still there? */
  const groupAlive = () => {
    if (child.pid === undefined) return false
    try {
      process.kill(-child.pid, 0)
      return true
    } catch {
      return false
    }
  }
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal)
    } catch {
      // The group is gone already.
    }
  }
  /** Waits until the group is gone, for at most `ms`; says whether it is. */
  const goneWithin = async (ms: number) => {
    for (const until = Date.now() + ms; Date.now() < until; await sleep(20)) if (!groupAlive()) return true
    return !groupAlive()
  }
  return {
    request: (req) =>
      new Promise<AdapterReply>((resolve, reject) => {
        if (failure) return reject(failure)
        const timer = setTimeout(() => fail(new AdapterFailed(`the adapter did not answer ${JSON.stringify(req.type)} within ${timeoutMs} ms`)), timeoutMs)
        waiting.push({
          resolve: (line) => {
            clearTimeout(timer)
            let json: unknown
            try {
              json = JSON.parse(line)
            } catch {
              return reject(new AdapterFailed(`the adapter answered with a line that is not JSON: ${line.slice(0, 120)}`))
            }
            const reply = decode(json)
            if (Either.isLeft(reply)) return reject(new AdapterFailed(`the adapter answered with an unknown reply: ${line.slice(0, 120)}`))
            resolve(reply.right)
          },
          reject: (e) => {
            clearTimeout(timer)
            reject(e)
          }
        })
        child.stdin.write(JSON.stringify(req) + "\n")
      }),
    close: async () => {
      child.removeAllListeners("exit")
      if (child.pid === undefined) return
      if (child.exitCode === null && child.signalCode === null) child.stdin.end(JSON.stringify({ type: "bye" }) + "\n")
      else child.stdin.destroy()
      if (await goneWithin(graceMs)) return
      signalGroup("SIGTERM")
      if (await goneWithin(graceMs)) return
      signalGroup("SIGKILL")
      await goneWithin(graceMs)
      child.stdout.destroy()
    }
  }
}

export interface Difference {
  readonly variable: string
  readonly model: unknown
  readonly implementation: unknown
  /** The variable is a set (its arrays are in any order). */
  readonly asSet?: true
}

export interface Divergence {
  /** The run up to and including the step whose result differs (the first state alone: after reset). */
  readonly run: readonly TraceStep[]
  /** Variables that differ, or the adapter's own error for the step. */
  readonly differences: readonly Difference[]
  readonly error?: string
  /** Implementation-driven: the step the implementation took is none the model allows here, and why. */
  readonly refused?: string
}

export interface ConformResult {
  readonly implementation: string
  readonly runs: number
  readonly steps: number
  /** Steps driven per action, every action of the model listed (0: never driven). */
  readonly coverage: Readonly<Record<string, number>>
  readonly divergence: Divergence | null
  readonly seconds: number
}

export type ConformMode =
  | { readonly kind: "depth"; readonly depth: number }
  | {
      readonly kind: "random"
      readonly seed: number
      readonly runs: number
      readonly steps: number
      readonly prefer: readonly string[]
      /** Steer toward the actions driven least so far (4 steps in 5 pick among them). */
      readonly guided?: boolean
    }
  /** The implementation chooses each step (`propose`); replcheck checks that the model allows it and that the states agree. */
  | { readonly kind: "implementation"; readonly seed: number; readonly runs: number; readonly steps: number }

const plain = (v: unknown): unknown =>
  v instanceof Set ? [...v].map(plain) : Array.isArray(v) ? v.map(plain) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v
/** JSON text with object keys sorted: JSON objects are unordered, so {a, b} equals {b, a}. */
const canon = (v: unknown): string => JSON.stringify(sortKeys(plain(v)))
const sortKeys = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(sortKeys) : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])])) : v
const canonSet = (v: unknown) => (Array.isArray(v) ? JSON.stringify(v.map(canon).sort()) : canon(v))

/** The observed variables that differ from the model's state. */
export function compareObserved(model: Model, state: Uint8Array, observed: Record<string, unknown>): Difference[] {
  const readable = model.codec.decode(state) as Record<string, unknown>
  const sets = new Set(model.codec.setVariables ?? [])
  const nodeVars = new Set(model.codec.nodeVariables)
  const out: Difference[] = []
  for (const [variable, value] of Object.entries(observed)) {
    if (!(variable in readable)) {
      out.push({ variable, model: "(no such variable)", implementation: value })
      continue
    }
    const expected = readable[variable]
    const same = sets.has(variable) ? canonSet : canon
    if (nodeVars.has(variable) && Array.isArray(value) && (expected as unknown[]).length === value.length) {
      // Report node variables node by node (variable[node]), only where they differ.
      const perNode = expected as unknown[]
      for (let k = 0; k < perNode.length; k++) {
        if (same(perNode[k]) !== same(value[k])) out.push({ variable: `${variable}[${k + 1}]`, model: plain(perNode[k]), implementation: value[k], ...(sets.has(variable) ? { asSet: true as const } : {}) })
      }
    } else if (same(expected) !== same(value)) out.push({ variable, model: plain(expected), implementation: value, ...(sets.has(variable) ? { asSet: true as const } : {}) })
  }
  return out
}

type Took = Extract<AdapterReply, { type: "took" }>

/** Argument values compared as the model describes them: sets (and node sets) without order. */
const sameArg = (modelValue: unknown, given: unknown) => canonSet(plain(modelValue)) === canonSet(plain(given))

/**
 * Whether the model allows the step the implementation took, from `state`: a successor of its
 * action with its node and every argument it gave, whose state agrees with what it observed. Else
 * why not: no such successor (with the guard that fails, where the model can say), or the
 * successor that agrees on most variables and the variables that still differ.
 */
function judgeTook(
  model: Model,
  state: Uint8Array,
  took: Took
):
  | { readonly kind: "ok"; readonly step: TraceStep }
  | { readonly kind: "refused"; readonly why: string; readonly args: Record<string, unknown> }
  | { readonly kind: "differs"; readonly closest: TraceStep; readonly differences: readonly Difference[] } {
  const index = model.families.findIndex((f) => f.name === took.action)
  const family = model.families[index]
  if (family === undefined) return { kind: "refused", why: `${took.action} is no action of the model (its actions: ${model.families.map((f) => f.name).join(", ")})`, args: { ...took.args } }
  const first = family.params[0]
  if (took.node !== null && (first === undefined || family.paramKinds?.[0] !== "node")) return { kind: "refused", why: `${took.action} takes no node`, args: { ...took.args } }
  // In the model's order, node first; node sets as sets (as a model step prints them).
  const args: Record<string, unknown> = took.node !== null ? { [first!]: took.node } : {}
  for (const [k, v] of Object.entries(took.args)) args[k] = family.paramKinds?.[family.params.indexOf(k)] === "nodeSet" && Array.isArray(v) ? new Set(v) : v
  for (const name of Object.keys(args)) if (!family.params.includes(name)) return { kind: "refused", why: `${name} is no argument of ${took.action} (its arguments: ${family.params.join(", ")})`, args }
  const candidates = successorsOf(model, state, new Set([index])).filter((s) => Object.entries(args).every(([k, v]) => sameArg(s.action!.args[k], v)))
  if (candidates.length === 0) {
    const why = family.explain?.(state, args)
    return { kind: "refused", why: why ? why.message : `no step ${took.action} with these arguments is enabled here`, args }
  }
  let closest: { step: TraceStep; differences: Difference[] } | null = null
  for (const step of candidates) {
    const differences = compareObserved(model, step.state, took.observed)
    if (differences.length === 0) return { kind: "ok", step }
    if (closest === null || differences.length < closest.differences.length) closest = { step, differences }
  }
  return { kind: "differs", closest: closest!.step, differences: closest!.differences }
}

/** The adapter request for a model step: its action, node (first parameter) and other arguments. */
function stepRequest(model: Model, step: TraceStep): AdapterRequest {
  const action = step.action!
  const family = model.families.find((f) => f.name === action.name)!
  const first = family.params[0]
  const node = first !== undefined && family.paramKinds?.[0] === "node" ? (action.args[first] as number) : null
  const args = Object.fromEntries(Object.entries(action.args).filter(([k]) => node === null || k !== first).map(([k, v]) => [k, plain(v)]))
  return { type: "step", action: action.name, node, args }
}

/** The runs to test: every step from every state within `depth` (depth mode), or random walks. */
function* runsOf(model: Model, mode: Exclude<ConformMode, { kind: "implementation" }>, driven: ReadonlyMap<string, number>): Generator<TraceStep[]> {
  const init = model.initialStates()[0]!
  if (mode.kind === "random") {
    const random = prng(mode.seed)
    // What this run has chosen so far, added to what earlier runs drove.
    const chosen = new Map<string, number>()
    const count = (name: string) => (driven.get(name) ?? 0) + (chosen.get(name) ?? 0)
    for (let r = 0; r < mode.runs; r++) {
      chosen.clear()
      const run: TraceStep[] = [{ state: init }]
      for (let k = 0; k < mode.steps; k++) {
        const enabled = successorsOf(model, run[run.length - 1]!.state).filter((s) => model.constraint(s.state))
        if (enabled.length === 0) break
        const preferred = enabled.filter((s) => mode.prefer.some((p) => s.action!.name.startsWith(p)))
        let pool = preferred.length > 0 && random() < 0.8 ? preferred : enabled
        if (mode.guided && random() < 0.8) {
          const least = Math.min(...pool.map((s) => count(s.action!.name)))
          pool = pool.filter((s) => count(s.action!.name) === least)
        }
        const step = pickStep(pool, random)
        chosen.set(step.action!.name, (chosen.get(step.action!.name) ?? 0) + 1)
        run.push(step)
      }
      yield run
    }
    return
  }
  // One shortest run to each distinct state, then every step out of it: every transition within depth.
  const key = (s: Uint8Array) => Buffer.from(s).toString("latin1")
  const seen = new Set([key(init)])
  let level: TraceStep[][] = [[{ state: init }]]
  for (let d = 0; d < mode.depth && level.length > 0; d++) {
    const next: TraceStep[][] = []
    for (const run of level) {
      for (const step of successorsOf(model, run[run.length - 1]!.state)) {
        if (!model.constraint(step.state)) continue
        yield [...run, step]
        const k = key(step.state)
        if (!seen.has(k)) {
          seen.add(k)
          next.push([...run, step])
        }
      }
    }
    level = next
  }
}

export async function conform(
  model: Model,
  hello: Extract<AdapterRequest, { type: "hello" }>,
  link: AdapterLink,
  mode: ConformMode,
  options: { readonly allowEmptyObservation?: boolean } = {}
): Promise<ConformResult> {
  const started = performance.now()
  const greeting = await link.request(hello)
  if (greeting.type === "error") throw new AdapterFailed(`the adapter refused hello: ${greeting.message}`)
  if (greeting.type !== "hello") throw new AdapterFailed(`the adapter answered hello with ${greeting.type}`)
  if (greeting.version !== ADAPTER_VERSION) throw new AdapterFailed(`the adapter speaks version ${greeting.version}, not ${ADAPTER_VERSION}`)
  let runs = 0
  let steps = 0
  const driven = new Map<string, number>(model.families.map((f) => [f.name, 0]))
  // An adapter that reports no variable agrees with every model: refused unless asked for.
  let observedAny = false
  const result = (divergence: Divergence | null): ConformResult => ({
    implementation: greeting.implementation,
    runs,
    steps,
    coverage: Object.fromEntries(driven),
    divergence,
    seconds: (performance.now() - started) / 1000
  })
  if (mode.kind === "implementation") {
    const random = prng(mode.seed)
    for (let r = 0; r < mode.runs; r++) {
      runs++
      const reset = await link.request({ type: "reset" })
      steps++
      const run: TraceStep[] = [{ state: model.initialStates()[0]! }]
      if (reset.type === "error") return result({ run, differences: [], error: reset.message })
      if (reset.type !== "state") throw new AdapterFailed(`the adapter answered reset with ${reset.type}`)
      if (Object.keys(reset.observed).length > 0) observedAny = true
      const atStart = compareObserved(model, run[0]!.state, reset.observed)
      if (atStart.length > 0) return result({ run, differences: atStart })
      for (let k = 0; k < mode.steps; k++) {
        const reply = await link.request({ type: "propose", seed: Math.floor(random() * 2 ** 31) })
        steps++
        if (reply.type === "idle") break
        // An implementation that cannot say what it would do cannot be driven this way.
        if (reply.type === "error") throw new AdapterFailed(`the adapter answered propose with an error: ${reply.message}`)
        if (reply.type !== "took") throw new AdapterFailed(`the adapter answered propose with ${reply.type}`)
        if (Object.keys(reply.observed).length > 0) observedAny = true
        const state = run[run.length - 1]!.state
        const outcome = judgeTook(model, state, reply)
        if (outcome.kind === "refused") {
          return result({ run: [...run, { state, action: { name: reply.action, args: outcome.args } }], differences: [], refused: outcome.why })
        }
        if (outcome.kind === "differs") return result({ run: [...run, outcome.closest], differences: outcome.differences })
        driven.set(reply.action, (driven.get(reply.action) ?? 0) + 1)
        run.push(outcome.step)
        // A step past the check bounds is allowed, but no model run goes on from it.
        if (!model.constraint(outcome.step.state)) break
      }
    }
    if (!observedAny && steps > 0 && !options.allowEmptyObservation) {
      throw new AdapterFailed(`no reply of the adapter observed any variable, so nothing was compared (--allow-empty-observation accepts that)`)
    }
    return result(null)
  }
  for (const run of runsOf(model, mode, driven)) {
    runs++
    for (let k = 0; k < run.length; k++) {
      const reply = await link.request(k === 0 ? { type: "reset" } : stepRequest(model, run[k]!))
      steps++
      if (k > 0) driven.set(run[k]!.action!.name, driven.get(run[k]!.action!.name)! + 1)
      const sofar = run.slice(0, k + 1)
      if (reply.type === "error") return result({ run: sofar, differences: [], error: reply.message })
      if (reply.type !== "state") throw new AdapterFailed(`the adapter answered ${k === 0 ? "reset" : "step"} with ${reply.type}`)
      if (Object.keys(reply.observed).length > 0) observedAny = true
      const differences = compareObserved(model, run[k]!.state, reply.observed)
      if (differences.length > 0) return result({ run: sofar, differences })
    }
  }
  if (!observedAny && steps > 0 && !options.allowEmptyObservation) {
    throw new AdapterFailed(`no reply of the adapter observed any variable, so nothing was compared (--allow-empty-observation accepts that)`)
  }
  return result(null)
}
