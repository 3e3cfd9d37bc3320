/** Trace validation: the conformance corpus, simulated runs, mutated runs, and bad input. */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import type { Protocol } from "../../model/kit/index.js"
import mutex from "../../model/protocols/examples/mutex.js"
import rollback from "../../model/protocols/rollback/index.js"
import { simulateTrace } from "../../model/trace/simulate.js"
import { validateTrace } from "../../model/trace/validate.js"
import { simulateCluster } from "../../impl/cluster/simulator.js"

const root = join(import.meta.dirname, "../..")
const corpus = join(root, "traces/rollback/conformance")
/** Every protocol with a conformance corpus: traces/<protocol>/conformance/{valid,invalid}. */
const corpora = readdirSync(join(root, "traces"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, "traces", d.name, "conformance")))
  .map((d) => d.name)
  .sort()
const cliOf = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/replcheck.js"), ...args], { cwd: root, encoding: "utf8" })
const cli = cliOf

async function* linesOf(lines: readonly string[]) {
  yield* lines
}

const validate = (protocol: Protocol, lines: readonly string[], internalSteps = 0) =>
  validateTrace(protocol, protocol.traceMapping ?? { internal: [] }, linesOf(lines), "trace.ndjson", { internalSteps })

describe("conformance corpora", () => {
  it("are found for the protocols that have one", () => {
    expect(corpora).toEqual(expect.arrayContaining(["recovery", "rollback"]))
  })
})

/**
 * Each corpus, and each variant's beside it: traces/<protocol>/conformance/<variant>/{valid,invalid}
 * holds runs of that variant (rollback's raft-elections: elections as an implementation logs them).
 */
const corpusDirs = corpora.flatMap((protocol) => {
  const base = join(root, "traces", protocol, "conformance")
  const variants = readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "valid" && d.name !== "invalid")
    .map((d) => d.name)
    .sort()
  return [{ protocol, variant: "base", dir: `traces/${protocol}/conformance` }, ...variants.map((variant) => ({ protocol, variant, dir: `traces/${protocol}/conformance/${variant}` }))]
})

describe.each(corpusDirs)("conformance corpus ($dir)", ({ protocol, variant, dir }) => {
  const traces = (kind: string) => (existsSync(join(root, dir, kind)) ? readdirSync(join(root, dir, kind)).filter((f) => f.endsWith(".ndjson")) : [])
  const cli = (...args: string[]) => cliOf(...args, "--variant", variant)

  it("has valid and invalid traces", () => {
    expect(traces("valid").length).toBeGreaterThan(0)
    expect(traces("invalid").length).toBeGreaterThan(0)
  })

  it.each(traces("valid"))("valid/%s is accepted", (file) => {
    const r = cli("validate", protocol, `${dir}/valid/${file}`, "--internal-steps", "2")
    expect(r.stdout).toMatch(/^accepted: /)
    expect(r.status).toBe(0)
  })

  it.each(traces("invalid"))("invalid/%s is rejected with its .expected diagnostic", (file) => {
    const r = cli("validate", protocol, `${dir}/invalid/${file}`, "--internal-steps", "2")
    expect(r.status).toBe(1)
    expect(r.stdout).toBe(readFileSync(join(root, dir, "invalid", file.replace(/\.ndjson$/, ".expected")), "utf8"))
  })
})

describe("simulated runs", () => {
  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom("full", "node", "none") as fc.Arbitrary<"full" | "node" | "none">], { numRuns: 25 })(
    "every random run of the model is accepted",
    async (seed, observe) => {
      for (const [protocol, config] of [
        [rollback, { servers: 3, maxTerm: 4, maxLogLen: 3, maxClientWriteSize: 1 }],
        [mutex, { processes: 3 }]
      ] as const) {
        const model = protocol.build(config as never, "base", { symmetry: false })
        const lines = simulateTrace(protocol.name, config, model, { steps: 60, seed, observe, hidden: [], prefer: ["Rollback"] })
        const r = await validate(protocol as Protocol, lines)
        expect(r.rejection).toBeNull()
        expect(r.events).toBe(lines.length - 1)
      }
    }
  )

  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.nat()], { numRuns: 40 })(
    "a run with one observed field changed is rejected at that event, naming the field",
    async (seed, pick) => {
      const config = { servers: 3, maxTerm: 4, maxLogLen: 3, maxClientWriteSize: 1 }
      const model = rollback.build(config, "base", { symmetry: false })
      const lines = simulateTrace("rollback", config, model, { steps: 40, seed, observe: "full", hidden: [], prefer: ["Rollback"] })
      fc.pre(lines.length > 1)
      const at = 1 + (pick % (lines.length - 1))
      const event = JSON.parse(lines[at]!)
      event.observed.currentTerm = event.observed.currentTerm + 1
      const mutated = [...lines.slice(0, at), JSON.stringify(event), ...lines.slice(at + 1)]
      const r = await validate(rollback as Protocol, mutated)
      expect(r.rejection).toMatchObject({ seq: at, line: at + 1, reason: "observation" })
      expect(r.rejection?.closest?.diff.map((d) => d.field)).toEqual(["currentTerm"])
    }
  )

  it("searches for unlogged internal steps within the budget", async () => {
    const config = { servers: 3, maxTerm: 3, maxLogLen: 2, maxClientWriteSize: 1 }
    const model = rollback.build(config, "base", { symmetry: false })
    const hidden = ["LearnCommitPointWithTermCheck", "LearnCommitPointFromSyncSourceNeverBeyondLastApplied"]
    let neededSearch = 0
    for (let seed = 1; seed <= 30; seed++) {
      const lines = simulateTrace("rollback", config, model, { steps: 200, seed, observe: "full", hidden })
      // With room for every hidden step, each run is accepted.
      expect((await validate(rollback as Protocol, lines, 16)).rejection).toBeNull()
      const strict = await validate(rollback as Protocol, lines, 0)
      if (strict.rejection) {
        expect(strict.rejection.reason).toBe("observation")
        neededSearch++
      }
    }
    // And in some runs the hidden steps matter: without the search those runs are rejected.
    expect(neededSearch).toBeGreaterThan(0)
  })

  it("checks invariants on the matched steps", async () => {
    // Validate a run of the lock-free mutex against that variant: the steps match, the invariant does not hold.
    const noLock: Protocol = { ...mutex, buildValues: (c) => mutex.buildValues(c as { processes: number }, "no-lock") }
    const header = { kind: "header", format: "replcheck-trace", version: 1, protocol: "mutex", config: { processes: 2 }, nodes: [1, 2] }
    const ev = (seq: number, node: number, action: string) => JSON.stringify({ kind: "event", seq, node, action, args: {}, observed: {} })
    const lines = [JSON.stringify(header), ev(1, 1, "Request"), ev(2, 2, "Request"), ev(3, 1, "Enter"), ev(4, 2, "Enter")]
    const r = await validate(noLock, lines)
    expect(r.rejection).toMatchObject({ seq: 4, reason: "invariant", invariant: "MutualExclusion" })
  })
})

describe("trace mapping: one event for several steps, several events for one step", () => {
  const lines = readFileSync(join(corpus, "valid/full-rollback.ndjson"), "utf8").trim().split("\n")
  const renumber = (ls: string[]) => ls.map((l, k) => (k === 0 ? l : JSON.stringify({ ...JSON.parse(l), seq: k })))
  const coordinator = ["RollbackPlan", "RollbackPersist", "RollbackRecover", "RollbackTruncate", "RollbackEmitEvent", "RollbackRejoin"]
  const actionOf = (l: string) => (JSON.parse(l) as { action?: string }).action

  it("accepts one Rollback event standing for the coordinator's six steps", async () => {
    // The first uninterrupted rollback: its six steps one after the other.
    const first = lines.findIndex((_, k) => coordinator.every((a, x) => lines[k + x] !== undefined && actionOf(lines[k + x]!) === a))
    expect(first).toBeGreaterThan(0)
    const plan = JSON.parse(lines[first]!)
    const last = JSON.parse(lines[first + 5]!)
    const merged = { ...last, action: "Rollback", args: plan.args }
    const out = renumber([...lines.slice(0, first), JSON.stringify(merged), ...lines.slice(first + 6)])
    const r = await validate(rollback as Protocol, out)
    expect(r.rejection).toBeNull()
    expect(r.events).toBe(lines.length - 1 - 5)
  })

  it("accepts an observation-only event, and rejects it when what it observed is not so", async () => {
    const at = lines.findIndex((l) => l.includes('"action":"RollbackPersist"'))
    const plan = JSON.parse(lines[at - 1]!)
    const started = (phase: string) => JSON.stringify({ kind: "event", seq: 0, node: plan.node, action: "RollbackPersistStarted", args: {}, observed: { rollback: { ...plan.observed.rollback, phase } } })
    const ok = renumber([...lines.slice(0, at), started("Planned"), ...lines.slice(at)])
    expect((await validate(rollback as Protocol, ok)).rejection).toBeNull()
    const wrong = renumber([...lines.slice(0, at), started("Persisted"), ...lines.slice(at)])
    const r = await validate(rollback as Protocol, wrong)
    expect(r.rejection).toMatchObject({ seq: at, reason: "observation" })
    expect(r.rejection?.closest?.diff.map((d) => d.field)).toEqual(["rollback"])
  })
})

describe("ITF both ways", () => {
  const dir = mkdtempSync(join(tmpdir(), "replcheck-itf-"))

  it("an accepted NDJSON trace exports as an ITF run that validates too, internal steps included", () => {
    const itf = join(dir, "run.itf.json")
    const r = cli("validate", "rollback", "traces/rollback/conformance/valid/unlogged-commit-point-learning.ndjson", "--internal-steps", "2", "--itf", itf)
    expect(r.status).toBe(0)
    const doc = JSON.parse(readFileSync(itf, "utf8"))
    // 12 logged events and the unlogged commit-point learning steps the validator found between them.
    expect(doc.states.length - 1).toBeGreaterThan(12)
    expect(cli("validate", "rollback", itf).stdout).toMatch(new RegExp(`^accepted: .* ${doc.states.length - 1} steps are a run of rollback`))
  })

  it("rejects a variant's committed counterexample at the step the base model cannot take", () => {
    const r = cli("validate", "rollback", "traces/rollback/recover-before-persist.itf.json")
    expect(r.status).toBe(1)
    // State 8 is the variant's RollbackRecover straight after planning, which the base forbids.
    expect(r.stdout).toMatch(/state 8 is not a successor of state 7/)
  })

  it("writes the smallest failing window as ITF: the last consistent state and the closest step", () => {
    const window = join(dir, "window.itf.json")
    const r = cli("validate", "rollback", "traces/rollback/conformance/invalid/truncate-keeps-tail.ndjson", "--internal-steps", "2", "--window", window)
    expect(r.status).toBe(1)
    const doc = JSON.parse(readFileSync(window, "utf8"))
    expect(doc.states).toHaveLength(2)
    expect(doc.states[1]["#meta"].action).toBe("RollbackTruncate")
  })
})

describe("no bound on sizes (the value backend)", () => {
  it("accepts a trace whose logs pass its header's maxLogLen and whose terms pass its maxTerm", async () => {
    const lines = readFileSync(join(corpus, "valid/full-rollback.ndjson"), "utf8").trim().split("\n")
    const header = lines[0]!.replace(/"maxTerm":\d+/, '"maxTerm":1').replace(/"maxLogLen":\d+/, '"maxLogLen":1')
    expect(header).toContain('"maxLogLen":1')
    const r = await validate(rollback as Protocol, [header, ...lines.slice(1)])
    expect(r.rejection).toBeNull()
    expect(r.events).toBe(lines.length - 1)
  })

  it("validates a long run of the reference cluster: terms and logs past every packed bound (a byte), and catches a change in it", async () => {
    const run = simulateCluster({ nodes: 3, steps: 6000, seed: 3, faults: ["crash", "persist", "partition"], maxTerm: 1e9, maxLogLen: 1e9, observe: "scalars" })
    const events = run.lines.slice(1).map((l) => JSON.parse(l) as { observed: { currentTerm: number; commitPoint: { index: number } }; action: string; args: Record<string, unknown> })
    const maxTerm = Math.max(...events.map((e) => e.observed.currentTerm))
    const maxLength = Math.max(...events.filter((e) => e.action === "AppendOplog").map((e) => e.args["lastAppended"] as number))
    expect(maxTerm).toBeGreaterThan(255)
    expect(maxLength).toBeGreaterThan(255)
    const r = await validate(rollback as Protocol, run.lines)
    expect(r.rejection).toBeNull()
    expect(r.events).toBe(events.length)
    // A term off by one late in the run is caught there.
    const k = run.lines.length - 10
    const changed = run.lines.map((l, m) => (m === k ? l.replace(/"currentTerm":(\d+)/, (_, t) => `"currentTerm":${Number(t) + 1}`) : l))
    const bad = await validate(rollback as Protocol, changed)
    expect(bad.rejection).toMatchObject({ line: k + 1, reason: "observation" })
  })
})

describe("bad input exits 2 with one line naming file, line and field", () => {
  const dir = mkdtempSync(join(tmpdir(), "replcheck-trace-"))
  const header = JSON.stringify({ kind: "header", format: "replcheck-trace", version: 1, protocol: "mutex", config: { processes: 2 }, nodes: [1, 2] })
  const ok = (seq: number) => JSON.stringify({ kind: "event", seq, node: 1, action: "Request", args: {}, observed: {} })
  it.each([
    ["malformed JSON", [header, "{not json"], /bad\.ndjson:2: not valid JSON/],
    ["unknown action", [header, ok(1).replace("Request", "Jump")], /bad\.ndjson:2: action: unknown action "Jump"/],
    ["missing header", [ok(1)], /bad\.ndjson:1: kind: the first line must be the header/],
    ["wrong protocol", [header.replace('"mutex"', '"rollback"')], /bad\.ndjson:1: protocol: the trace is for rollback, not mutex/],
    ["bounds out of range", [header.replace('"processes":2', '"processes":99')], /bad\.ndjson:1: config: --processes: Expected a number between 1 and 6, actual 99/],
    ["unknown bound", [header.replace('"processes":2', '"processes":2,"servers":3')], /bad\.ndjson:1: config\.servers: not a bound of mutex/],
    ["a seq gap", [header, ok(1), ok(3)], /bad\.ndjson:3: seq: expected 2, got 3/],
    ["a truncated last line", [header, ok(1), ok(2).slice(0, 30)], /bad\.ndjson:3: not valid JSON/],
    ["an unknown observed variable", [header, ok(1).replace('"observed":{}', '"observed":{"colour":1}')], /bad\.ndjson:2: observed\.colour: not a variable of mutex/],
    ["an observed name the type lacks", [header, ok(1).replace('"observed":{}', '"observed":{"pc":"flying"}')], /bad\.ndjson:2: observed\.pc: "flying" is not one of "idle", "waiting", "critical"/],
    ["an observed number for a boolean", [header, ok(1).replace('"observed":{}', '"observed":{"lock":1}')], /bad\.ndjson:2: observed\.lock: 1 is not a boolean/],
    ["an argument past 2^53", [header, ok(1).replace('"args":{}', '"args":{"i":1e300}')], /bad\.ndjson:2: args\.i: .*not an integer up to 2\^53/],
    ["a node argument that is no node", [header, ok(1).replace('"args":{}', '"args":{"i":3}')], /bad\.ndjson:2: args\.i: no node 3 \(nodes 1\.\.2\)/],
    ["a missing field", [header, ok(1).replace('"action":"Request",', "")], /bad\.ndjson:2: action: is missing/],
    ["an empty file", [], /bad\.ndjson:1: kind: the trace has no header/]
  ])("%s", (_, lines, message) => {
    const file = join(dir, "bad.ndjson")
    writeFileSync(file, (lines as string[]).join("\n"))
    const r = cli("validate", "mutex", file)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stdout).toBe("")
  })

  it("a missing file", () => {
    const r = cli("validate", "mutex", join(dir, "nope.ndjson"))
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/cannot read .*nope\.ndjson/)
  })
})
