/**
 * Counterexamples as files: an ITF trace (with each state's action in its `#meta`, and in Quint's
 * `mbt::` variables) and a text rendering that shows, per step, the action instance and only the
 * fields that changed, grouped by node.
 */
import { basename } from "node:path"
import { Schema } from "effect"
import type { TraceStep } from "../engine/path.js"
import type { KitModel } from "../kit/index.js"
import { renderValue, toItfValue, type ItfState, type ItfTrace, type ItfValue } from "./itf.js"
import { renderExplorer } from "./html.js"
import { stateSchema } from "./state-schema.js"

export interface TraceContext {
  readonly protocol: string
  readonly variant: string
  readonly config: Record<string, number>
  readonly invariant: string
  readonly kind: "state" | "step" | "deadlock" | "liveness"
  /** For a liveness counterexample (a lasso): the state the behavior loops back to, and how. */
  readonly loop?: { readonly index: number; readonly back: TraceStep["action"] | null; readonly node: number | null }
}

/** The readable (ITF JSON) form of every state of a trace. */
export function itfStates(model: KitModel, steps: readonly TraceStep[]): ItfState[] {
  const encode = Schema.encodeSync(stateSchema(model))
  return steps.map((s) => encode(model.codec.decode(s.state)) as ItfState)
}

export function toItfTrace(model: KitModel, steps: readonly TraceStep[], ctx: TraceContext): ItfTrace {
  const states = itfStates(model, steps)
  const pickNames = argumentNames(model)
  return {
    "#meta": {
      format: "ITF",
      "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
      source: "replcheck",
      protocol: ctx.protocol,
      variant: ctx.variant,
      config: ctx.config,
      description: describeViolation(ctx),
      ...violationMeta(model, steps, ctx)
    },
    vars: [...Object.keys(states[0] ?? {}), ACTION_TAKEN, NONDET_PICKS],
    // ITF's lasso: the behavior repeats states[loop ..] for ever.
    ...(ctx.loop ? { loop: ctx.loop.index } : {}),
    states: states.map((state, index) => {
      const action = steps[index]!.action
      const meta = action ? { index, action: action.name, args: toItfValue(action.args) } : { index }
      return { "#meta": meta, ...state, ...quintStepVariables(pickNames, action) } as ItfTrace["states"][number]
    })
  }
}

/** Quint's model-based-testing variables: the step's action, and every action argument's value. */
const ACTION_TAKEN = "mbt::actionTaken"
const NONDET_PICKS = "mbt::nondetPicks"
const NONE: ItfValue = { tag: "None", value: { "#tup": [] } }

/** Every argument name of the model's actions, in declaration order, each once. */
const argumentNames = (model: KitModel) => [...new Set(model.families.flatMap((f) => f.params))]

/**
 * The two variables `quint run --mbt` writes on each state, so that a Quint model-based-testing
 * driver reads replcheck's traces: the action taken ("init" for the first state), and a record of
 * every argument name of the model's actions, Some(value) for the ones the action took and None for
 * the rest (Quint's option variant form).
 */
function quintStepVariables(names: readonly string[], action: TraceStep["action"]): ItfState {
  const picks: Record<string, ItfValue> = {}
  for (const name of names) picks[name] = action && name in action.args ? { tag: "Some", value: toItfValue(action.args[name]) } : NONE
  return { [ACTION_TAKEN]: action?.name ?? "init", [NONDET_PICKS]: picks }
}

/** A counterexample's files: `<base>.itf.json` and `<base>.txt`, and with `html` the explorer page `<base>.html`. */
export function counterexampleFiles(model: KitModel, steps: readonly TraceStep[], ctx: TraceContext, base: string, html: boolean): Array<readonly [string, string]> {
  const itf = toItfTrace(model, steps, ctx)
  return [
    [`${base}.itf.json`, JSON.stringify(itf, null, 2) + "\n"],
    [`${base}.txt`, renderTrace(model, steps, ctx)],
    ...(html ? [[`${base}.html`, renderExplorer(itf, basename(base))] as const] : [])
  ]
}

/** The invariant a trace violates, its witness and cause, for readers of the ITF (the HTML explorer). */
function violationMeta(model: KitModel, steps: readonly TraceStep[], ctx: TraceContext): Record<string, unknown> {
  if (ctx.kind === "liveness") return { invariant: ctx.invariant, kind: ctx.kind, ...(ctx.loop?.node ? { node: ctx.loop.node } : {}) }
  const known = [...model.stateInvariants, ...model.stepInvariants].some((i) => i.name === ctx.invariant)
  if (ctx.kind !== "deadlock" && !known) return {}
  const witness = witnessOf(model, steps, ctx)
  return { invariant: ctx.kind === "deadlock" ? "Deadlock" : ctx.invariant, kind: ctx.kind, ...(witness !== null ? { witness } : {}), cause: causeOf(model, steps, ctx) }
}

/**
 * The last step's changes that make the invariant false: each variable (a node's entry, for a
 * per-node variable) that the last step changed and that, set back alone to its value before the
 * step, makes the invariant hold. Empty where no single change does (or for a deadlock), e.g.
 * `["log[2]", "commitPoint[2]"]`.
 */
export function causeOf(model: KitModel, steps: readonly TraceStep[], ctx: Pick<TraceContext, "invariant" | "kind">): string[] {
  const last = steps[steps.length - 1]?.state
  const before = steps[steps.length - 2]?.state
  if (last === undefined || before === undefined || ctx.kind === "deadlock" || ctx.kind === "liveness") return []
  const stateInvariant = model.stateInvariants.find((i) => ctx.kind === "state" && i.name === ctx.invariant)
  const stepInvariant = model.stepInvariants.find((i) => ctx.kind === "step" && i.name === ctx.invariant)
  if (stateInvariant === undefined && stepInvariant === undefined) return []
  const holds = (b: Uint8Array) => (stateInvariant ? stateInvariant.holds(b) : stepInvariant!.holds(before, b))
  const after = model.codec.decode(last) as Record<string, unknown>
  const prior = model.codec.decode(before) as Record<string, unknown>
  const bytes = new Uint8Array(model.widthBytes)
  const revertedHolds = (candidate: Record<string, unknown>) => {
    bytes.fill(0)
    model.codec.encode(candidate, bytes)
    // Bytes equal to the last state's: the step did not change this part.
    return !bytes.every((b, k) => b === last[k]) && holds(bytes)
  }
  const cause: string[] = []
  for (const f of model.layout.fields) {
    if (f.scope === "node") {
      const now = after[f.name] as unknown[]
      const then = prior[f.name] as unknown[]
      for (let k = 0; k < now.length; k++) {
        if (revertedHolds({ ...after, [f.name]: now.map((v, m) => (m === k ? then[k] : v)) })) cause.push(`${f.name}[${k + 1}]`)
      }
    } else if (revertedHolds({ ...after, [f.name]: prior[f.name] })) cause.push(f.name)
  }
  return cause
}

/** What the violated invariant says makes it false at the end of the trace, if it says. */
export function witnessOf(model: KitModel, steps: readonly TraceStep[], ctx: Pick<TraceContext, "invariant" | "kind">): string | null {
  const last = steps[steps.length - 1]?.state
  if (last === undefined) return null
  if (ctx.kind === "state") return model.stateInvariants.find((i) => i.name === ctx.invariant)?.witness?.(last) ?? null
  const before = steps[steps.length - 2]?.state
  if (ctx.kind === "step" && before !== undefined) return model.stepInvariants.find((i) => i.name === ctx.invariant)?.witness?.(before, last) ?? null
  return null
}

function describeViolation(ctx: TraceContext): string {
  if (ctx.kind === "liveness") {
    const node = ctx.loop?.node ? ` for node ${ctx.loop.node}` : ""
    return `a fair behavior that violates the temporal property ${ctx.invariant}${node}: it repeats its states from state ${(ctx.loop?.index ?? 0) + 1} on for ever`
  }
  return ctx.kind === "deadlock"
    ? "the last state has no successor (deadlock)"
    : ctx.kind === "step"
      ? `the last step violates the step invariant ${ctx.invariant}`
      : `the last state violates the invariant ${ctx.invariant}`
}

/** `Action(i = 1, j = 2)` */
export function renderAction(action: { readonly name: string; readonly args: Record<string, unknown> }): string {
  const args = Object.entries(action.args).map(([k, v]) => `${k} = ${renderValue(toItfValue(v))}`)
  return `${action.name}(${args.join(", ")})`
}

type MapEntries = ReadonlyArray<readonly [ItfValue, ItfValue]>

type ItfRecord = { readonly [field: string]: ItfValue }

const asRecord = (v: ItfValue): ItfRecord | null =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !Object.keys(v).some((k) => k.startsWith("#")) ? (v as ItfRecord) : null

const asMap = (v: ItfValue): MapEntries | null =>
  typeof v === "object" && v !== null && !Array.isArray(v) && "#map" in v ? (v as { "#map": MapEntries })["#map"] : null

/**
 * "name: old -> new", or only what changed: for records the fields ("name.field: old -> new"),
 * for functions the entries ("name[key].field: old -> new"), for sequences of the same length the
 * elements ("name[k]: old -> new", k from 1 as in TLA+).
 */
function changes(name: string, before: ItfValue, after: ItfValue): string[] {
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.length > 0) {
    return after.flatMap((v, k) => (JSON.stringify(before[k]) !== JSON.stringify(v) ? changes(`${name}[${k + 1}]`, before[k]!, v) : []))
  }
  const bm = asMap(before)
  const am = asMap(after)
  if (bm && am) {
    const old = new Map(bm.map(([k, v]) => [JSON.stringify(k), v]))
    return am.flatMap(([k, v]) => {
      const was = old.get(JSON.stringify(k))
      return was !== undefined && JSON.stringify(was) !== JSON.stringify(v) ? changes(`${name}[${renderValue(k)}]`, was, v) : []
    })
  }
  const b = asRecord(before)
  const a = asRecord(after)
  if (b && a) {
    return Object.keys(a).flatMap((k) =>
      b[k] !== undefined && JSON.stringify(b[k]) !== JSON.stringify(a[k]) ? changes(`${name}.${k}`, b[k]!, a[k]!) : []
    )
  }
  return [`${name}: ${renderValue(before)} -> ${renderValue(after)}`]
}

function nodeEntries(v: ItfValue): MapEntries {
  return (v as { "#map": MapEntries })["#map"]
}

/** The widest line the text rendering writes, where a value can be broken. */
const WIDTH = 100

/**
 * Breaks a line longer than WIDTH after ", " separators (the places renderValue puts between
 * elements and fields), continuing two columns deeper than the line's own indentation; a line
 * with no such separator (a header, a description) breaks between words instead. A single
 * element or word longer than WIDTH stays whole.
 */
function wrap(line: string): string[] {
  if (line.length <= WIDTH) return [line]
  const indent = " ".repeat(line.length - line.trimStart().length + 2)
  const out: string[] = []
  let current = ""
  for (const part of line.split(line.includes(", ") ? /(?<=, )/ : /(?<= )/)) {
    if (current.trim().length > 0 && current.length + part.length > WIDTH) {
      out.push(current.trimEnd())
      current = indent + part
    } else current += part
  }
  out.push(current.trimEnd())
  return out
}

/** The text rendering of a trace. */
export function renderTrace(model: KitModel, steps: readonly TraceStep[], ctx: TraceContext): string {
  const states = itfStates(model, steps)
  const nodeVars = new Set(model.codec.nodeVariables)
  const lines: string[] = []
  const bounds = Object.entries(ctx.config).map(([k, v]) => `${k}=${v}`).join(" ")
  lines.push(...wrap(`${ctx.protocol} (variant ${ctx.variant}) ${bounds}`))
  lines.push(...wrap(`${describeViolation(ctx)}; ${states.length} states`))
  states.forEach((state, k) => {
    const prev = k > 0 ? states[k - 1] : undefined
    const action = steps[k]!.action
    lines.push("")
    lines.push(`State ${k + 1}: ${action ? renderAction(action) : "initial state"}`)
    const global: string[] = []
    const byNode = new Map<string, string[]>()
    for (const [name, value] of Object.entries(state)) {
      const before = prev?.[name]
      if (nodeVars.has(name)) {
        const old = before === undefined ? undefined : new Map(nodeEntries(before).map(([key, v]) => [JSON.stringify(key), v]))
        for (const [key, v] of nodeEntries(value)) {
          const was = old?.get(JSON.stringify(key))
          if (was !== undefined && JSON.stringify(was) === JSON.stringify(v)) continue
          const node = renderValue(key)
          const text = was === undefined ? [`${name} = ${renderValue(v)}`] : changes(name, was, v)
          byNode.set(node, [...(byNode.get(node) ?? []), ...text])
        }
      } else if (before === undefined) {
        global.push(`${name} = ${renderValue(value)}`)
      } else if (JSON.stringify(before) !== JSON.stringify(value)) {
        global.push(...changes(name, before, value))
      }
    }
    for (const g of global) lines.push(...wrap(`  ${g}`))
    // Nodes by id, whatever order their variables changed in.
    const nodesById = [...byNode].sort(([a], [b]) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0))
    for (const [node, changes] of nodesById) {
      const one = `  node ${node}: ${changes.join("; ")}`
      if (one.length <= WIDTH) lines.push(one)
      else {
        lines.push(`  node ${node}:`)
        for (const c of changes) lines.push(...wrap(`    ${c}`))
      }
    }
    if (global.length === 0 && byNode.size === 0) lines.push("  (no change)")
  })
  lines.push("")
  lines.push(ctx.kind === "deadlock" ? "Deadlock: no action is enabled in the last state." : `Violated: ${ctx.invariant}${ctx.loop?.node ? ` (node ${ctx.loop.node})` : ""}`)
  if (ctx.loop) {
    lines.push(
      ...wrap(
        ctx.loop.back
          ? `  then back to state ${ctx.loop.index + 1} by ${renderAction(ctx.loop.back)}, and round again for ever`
          : `  then state ${steps.length} repeats for ever (stuttering: no fair action is enabled there)`
      )
    )
  }
  const witness = witnessOf(model, steps, ctx)
  if (witness !== null) lines.push(...wrap(`  because ${witness}`))
  return lines.join("\n") + "\n"
}
