/**
 * `replcheck list`: every built-in protocol's bounds, variables, actions, invariants, variants,
 * symmetry and reference implementation. Reads the protocol declarations and the catalog of
 * implementations only, not Effect, so bin/replcheck.js answers it through fast.ts.
 */
import { flagName } from "../engine/bounds.js"
import type { Protocol } from "../kit/index.js"
import { implementationEntries } from "../../impl/catalog.js"
import { fitLines } from "./usage.js"

export function renderList(ps: readonly Protocol[]): string {
  const out: string[] = []
  for (const p of ps) {
    const model = p.build(p.defaults)
    out.push(`${p.name}: ${p.summary}`)
    out.push(`  bounds:`)
    for (const [field, spec] of Object.entries(p.bounds)) {
      out.push(`    --${flagName(field)} N  default ${spec.default}, ${spec.min}..${spec.max}: ${spec.description}`)
    }
    out.push(`  variables: ${model.layout.fields.map((f) => `${f.name}${f.scope === "node" ? "[node]" : ""}${f.ghost ? " (ghost)" : ""}`).join(", ")}`)
    out.push(`  actions: ${model.families.map((f) => `${f.name}(${f.params.join(", ")})`).join(", ")}`)
    out.push(`  invariants:`)
    for (const i of model.stateInvariants) out.push(`    ${i.name}: ${i.description}`)
    for (const i of model.stepInvariants) out.push(`    ${i.name} (step): ${i.description}`)
    out.push(`  variants:`)
    for (const v of p.variants) out.push(`    ${v.name}: ${v.summary}`)
    out.push(`  symmetry: ${p.symmetric ? "yes (--symmetry)" : "no"}`)
    const impl = implementationEntries.find((r) => r.protocol === p.name)
    if (impl) out.push(`  reference implementation: replcheck cluster ${p.name} ${Object.keys(impl.flags).map((f) => `[--${f}]`).join(" ")}: ${impl.summary}`)
    out.push("")
  }
  return fitLines(out).join("\n")
}

export function listJson(ps: readonly Protocol[]) {
  return ps.map((p) => {
    const model = p.build(p.defaults)
    const impl = implementationEntries.find((r) => r.protocol === p.name)
    return {
      name: p.name,
      summary: p.summary,
      bounds: Object.entries(p.bounds).map(([field, spec]) => ({ field, flag: `--${flagName(field)}`, ...spec })),
      variables: model.layout.fields.map((f) => ({ name: f.name, scope: f.scope, ghost: f.ghost, type: f.type })),
      actions: model.families.map((f) => ({ name: f.name, params: f.params, paramKinds: f.paramKinds ?? [] })),
      invariants: model.stateInvariants
        .map((i) => ({ name: i.name, kind: "state", description: i.description }))
        .concat(model.stepInvariants.map((i) => ({ name: i.name, kind: "step", description: i.description }))),
      variants: p.variants,
      symmetry: p.symmetric,
      referenceImplementation: impl ? { flags: impl.flags, summary: impl.summary } : null
    }
  })
}

/** What `replcheck list [--json]` prints. */
export async function listText(json: boolean): Promise<string> {
  const { builtInProtocols } = await import("../protocols/index.js")
  return json ? JSON.stringify(listJson(builtInProtocols), null, 2) + "\n" : renderList(builtInProtocols)
}
