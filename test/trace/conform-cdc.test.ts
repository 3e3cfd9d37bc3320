/**
 * replcheck conform cdc against the example Python adapter (traces/adapters/python/cdc_adapter.py):
 * the correct implementation conforms, the buggy one (the consumer of catch-up-after-rollback:
 * go-dcp's catch-up, whose sink never rolls back) is caught. The adapter also replays the cdc
 * conformance corpus (traces/cdc/conformance/), step by step, independently of how the model
 * orders its steps.
 */
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "../..")
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/replcheck.js"), ...args], { cwd: root, encoding: "utf8" })
const adapter = "python3 traces/adapters/python/cdc_adapter.py"
const prefer = (...prefixes: string[]) => prefixes.flatMap((p) => ["--prefer", p])
// Unsteered, a random run soon ends where only crashes, restarts and consumer restarts are left
// (writes stop at maxSeqno, branches at maxFailovers + 1), and the consumer rarely applies
// anything. Steered into the copies' replication and the consumer's path (a failover whenever
// one is possible; crashes, lost connections and consumer restarts in the other 20%), the buggy
// consumer is caught within 10 runs on each of seeds 1..40, at a consumer restart (its sink is not
// truncated to the checkpoint).
const consumerPath = prefer("Write", "Replica", "Persist", "Observe", "OpenStream", "SnapshotMarker", "Receive", "Apply", "Failover")
// withReconnects prefers checkpoints and lost connections too; withFaults also crashes and
// restarts: with it, seed 10's fourth run applies a mutation inside a snapshot that the next branch
// cuts, and is answered a rollback after the failover (found by scanning seeds: a rollback is rare
// in random runs; if the model's steps change, scan again).
const withReconnects = [...consumerPath, ...prefer("SaveCheckpoint", "ConnectionLost")]
const withFaults = [...withReconnects, ...prefer("Crash", "Restart")]
const rollbackRun = ["--random", "--seed", "10", "--runs", "4", "--steps", "40", ...withFaults]

describe("replcheck conform cdc", () => {
  it("accepts the correct implementation on every step within depth 3", () => {
    const r = cli("conform", "cdc", "--adapter", adapter, "--depth", "3")
    expect(r.stdout).toMatch(/^conforms: python cdc \(correct\): [\d,]+ replies in [\d,]+ runs match the model \(every step within depth 3\)/)
    expect(r.status).toBe(0)
  })

  it("accepts the correct implementation on every step within depth 6", () => {
    const r = cli("conform", "cdc", "--adapter", adapter, "--depth", "6")
    expect(r.stdout).toMatch(/^conforms: python cdc \(correct\): [\d,]+ replies in [\d,]+ runs match the model \(every step within depth 6\)/)
    expect(r.status).toBe(0)
  }, 20_000)

  it("misses the buggy consumer within depth 5: the shortest run that shows it has 11 steps", () => {
    // Writes, both copies' persistence, an observation, a marker, a receive and an apply, then a
    // consumer restart (a rollback needs more). At depth 10 it still conforms (383,884 replies,
    // 150 s); depth 11 catches it at the restart (about 2 min): too slow for this file.
    const r = cli("conform", "cdc", "--adapter", `${adapter} --buggy`, "--depth", "5")
    expect(r.stdout).toMatch(/^conforms: python cdc \(buggy\): [\d,]+ replies in [\d,]+ runs match the model \(every step within depth 5\)/)
    expect(r.status).toBe(0)
  }, 20_000)

  it.each([
    ["the default bounds, steered into the consumer's path", ["--random", "--seed", "1", "--runs", "200", "--steps", "40", ...consumerPath]],
    ["the default bounds, unsteered", ["--random", "--seed", "2", "--runs", "50", "--steps", "40"]],
    ["three copies, steered", ["--replicas", "2", "--random", "--seed", "3", "--runs", "100", "--steps", "40", ...consumerPath]],
    ["three branches and three seqnos, steered, with checkpoints and reconnects", ["--max-failovers", "2", "--max-seqno", "3", "--random", "--seed", "1", "--runs", "150", "--steps", "50", ...withReconnects]],
    ["the run answered a rollback after a failover", rollbackRun]
  ])("accepts the correct implementation on random runs: %s", (_, flags) => {
    const r = cli("conform", "cdc", "--adapter", adapter, ...flags)
    const runs = flags[flags.indexOf("--runs") + 1]
    expect(r.stdout).toMatch(new RegExp(`^conforms: python cdc \\(correct\\): [\\d,]+ replies in ${runs} runs match the model`))
    expect(r.status).toBe(0)
  }, 20_000)

  it("catches the buggy consumer on random runs, at a consumer restart that keeps the sink above the checkpoint", () => {
    for (const seed of ["2", "3"]) {
      const r = cli("conform", "cdc", "--adapter", `${adapter} --buggy`, "--random", "--seed", seed, "--runs", "100", "--steps", "40", ...consumerPath)
      expect(r.status).toBe(1)
      expect(r.stdout).toMatch(/^diverged: python cdc \(buggy\): run \d+, step \d+, ConsumerRestart\(\)\n/)
      // The model truncates the sink to the checkpoint; the buggy consumer keeps what it applied.
      expect(r.stdout).toMatch(/\n {4}sink\[\d\]\.key: 0 vs [1-9]\n/)
      expect(r.stdout).toMatch(/the run:\n {4}0\. reset\n {4}1\. /)
    }
    const json = JSON.parse(cli("conform", "cdc", "--adapter", `${adapter} --buggy`, "--random", "--seed", "1", "--runs", "100", "--steps", "40", ...consumerPath, "--json").stdout)
    const { run, differences } = json.divergence
    expect(run[run.length - 1].name).toBe("ConsumerRestart")
    expect(run.map((s: { name: string }) => s.name)).toContain("Apply")
    expect(differences.map((d: { variable: string }) => d.variable)).toEqual(["sink"])
    const [d] = differences
    const kept = d.implementation.findIndex((m: { key: number }, k: number) => m.key !== d.model[k].key)
    expect(d.model[kept]).toEqual({ key: 0, branch: 0 })
    expect(d.implementation[kept].key).toBeGreaterThan(0)
  }, 20_000)

  it("catches the buggy consumer at the rollback answered after a failover", () => {
    const r = cli("conform", "cdc", "--adapter", `${adapter} --buggy`, ...rollbackRun)
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/^diverged: python cdc \(buggy\): run 4, step 19, OpenStream\(\)\n/)
    // The model rolls the checkpoint and the sink back together; catch-up leaves both and drops up to its old position.
    expect(r.stdout).toMatch(/\n {4}checkpoint\.uuid: 1 vs 0\n {4}catchup: 0 vs 1\n {4}sink\[1\]\.key: 0 vs \d\n/)
    expect(r.stdout).toMatch(/\n {4}17\. Crash\(c = 1\)\n {4}18\. Failover\(n = 2\)\n {4}19\. OpenStream\(\)\n/)
  }, 20_000)

  it("the adapter refuses a step its implementation cannot take with an error reply", () => {
    const requests = [
      { type: "hello", version: 1, protocol: "cdc", config: { replicas: 1, maxSeqno: 2, keys: 2, maxFailovers: 1 }, nodes: [1, 2] },
      { type: "reset" },
      { type: "step", action: "Apply", node: null, args: {} },
      { type: "step", action: "Persist", node: 1, args: {} },
      { type: "step", action: "Write", node: null, args: { key: 2 } },
      { type: "step", action: "Failover", node: 2, args: {} },
      { type: "bye" }
    ]
    const r = spawnSync("python3", ["traces/adapters/python/cdc_adapter.py"], { cwd: root, encoding: "utf8", input: requests.map((q) => JSON.stringify(q)).join("\n") + "\n" })
    const replies = r.stdout.trim().split("\n").map((l) => JSON.parse(l))
    expect(replies.map((x) => x.type)).toEqual(["hello", "state", "error", "error", "state", "error"])
    expect(replies[2].message).toMatch(/^Apply refused: nothing received/)
    expect(replies[3].message).toMatch(/^Persist refused: copy 1 has persisted its whole history/)
    expect(replies[5].message).toMatch(/^Failover refused: the active copy is up/)
    expect(replies[4].observed.stored).toEqual([[{ key: 2, branch: 1 }, { key: 0, branch: 0 }], [{ key: 0, branch: 0 }, { key: 0, branch: 0 }]])
    expect(replies[4].observed.ends).toEqual([1, 0])
    expect(r.status).toBe(0)
  })
})

/** The variables of one copy: a trace event observes the acting copy's value alone. */
const COPY_VARIABLES = new Set(["role", "stored", "high", "persisted", "snapshot", "persistedSnapshot", "ends", "failoverLog", "failedOver"])

interface Event {
  readonly seq: number
  readonly node: number | null
  readonly action: string
  readonly args: Record<string, unknown>
  readonly observed: Record<string, unknown>
}

/**
 * Drives the adapter through a corpus trace's events and returns the first event whose reply
 * differs from what the trace observed (null if none), with the variables that differ.
 */
function replay(trace: string, buggy: boolean): { seq: number; action: string; variables: string[] } | null {
  const [header, ...events] = readFileSync(join(root, "traces/cdc/conformance", trace), "utf8").trim().split("\n").map((l) => JSON.parse(l)) as [{ config: Record<string, number>; nodes: number[] }, ...Event[]]
  const requests = [
    { type: "hello", version: 1, protocol: "cdc", config: header.config, nodes: header.nodes },
    { type: "reset" },
    ...events.map((e) => ({ type: "step", action: e.action, node: e.node, args: e.args })),
    { type: "bye" }
  ]
  const r = spawnSync("python3", ["traces/adapters/python/cdc_adapter.py", ...(buggy ? ["--buggy"] : [])], { cwd: root, encoding: "utf8", input: requests.map((q) => JSON.stringify(q)).join("\n") + "\n" })
  expect(r.status).toBe(0)
  const replies = r.stdout.trim().split("\n").map((l) => JSON.parse(l))
  expect(replies).toHaveLength(events.length + 2)
  for (const [k, e] of events.entries()) {
    const reply = replies[k + 2]
    expect(reply.type, `event ${e.seq} (${e.action}): ${reply.message}`).toBe("state")
    const variables = Object.keys(e.observed).filter((v) => {
      const got = COPY_VARIABLES.has(v) ? reply.observed[v][e.node! - 1] : reply.observed[v]
      return canon(got) !== canon(e.observed[v])
    })
    if (variables.length > 0) return { seq: e.seq, action: e.action, variables: variables.sort() }
  }
  return null
}
/** JSON text with object keys sorted (JSON objects are unordered). */
const canon = (v: unknown): string => JSON.stringify(sortKeys(v))
const sortKeys = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(sortKeys) : v !== null && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])])) : v

describe("the cdc conformance corpus through the Python adapter", () => {
  it.each(["rollback-after-failover-then-catch-up.ndjson", "random-run-max-seqno-3.ndjson"])("the correct implementation observes every event of valid/%s", (trace) => {
    expect(replay(`valid/${trace}`, false)).toBeNull()
  })

  it("the buggy implementation departs from the valid rollback run at the rollback", () => {
    expect(replay("valid/rollback-after-failover-then-catch-up.ndjson", true)).toEqual({ seq: 14, action: "OpenStream", variables: ["catchup", "checkpoint", "sink"] })
  })

  it("the buggy implementation and the reference consumer with the same planted bug agree on every event of invalid/catch-up-after-rollback", () => {
    expect(replay("invalid/catch-up-after-rollback.ndjson", true)).toBeNull()
    // The model (and the correct implementation) truncate the sink to the checkpoint at the restart.
    expect(replay("invalid/catch-up-after-rollback.ndjson", false)).toEqual({ seq: 14, action: "ConsumerRestart", variables: ["sink"] })
  })
})

describe("replcheck conform --random --guided on the cdc adapter", () => {
  it("reports the steps driven per action; unsteered runs leave the consumer's apply undriven, guided ones drive every action", () => {
    const base = ["conform", "cdc", "--adapter", adapter, "--random", "--runs", "50", "--steps", "40", "--seed", "2", "--json"]
    const plain = JSON.parse(cli(...base).stdout) as { coverage: Record<string, number>; steps: number; runs: number }
    const guided = JSON.parse(cli(...base, "--guided").stdout) as typeof plain
    for (const r of [plain, guided]) expect(Object.values(r.coverage).reduce((a, b) => a + b, 0)).toBe(r.steps - r.runs)
    expect(plain.coverage["Apply"]).toBe(0)
    expect(Object.entries(guided.coverage).filter(([, n]) => n === 0)).toEqual([])
    const text = cli(...base.slice(0, -1))
    expect(text.stdout).toMatch(/\n {2}driven: Write \d+, .*Apply 0, /)
    expect(text.stdout).toMatch(/\n {2}never driven: Apply, SaveCheckpoint\n/)
  }, 30_000)

  it("catches the buggy consumer with no --prefer, where unsteered runs do not", () => {
    for (const seed of ["1", "2", "3"]) {
      const args = ["conform", "cdc", "--adapter", `${adapter} --buggy`, "--random", "--runs", "50", "--steps", "40", "--seed", seed]
      expect(cli(...args).status, `seed ${seed}, unsteered`).toBe(0)
      const r = cli(...args, "--guided")
      expect(r.status, `seed ${seed}, guided`).toBe(1)
      expect(r.stdout).toMatch(/^diverged: python cdc \(buggy\): run \d+, step \d+, ConsumerRestart\(\)/)
    }
  }, 60_000)
})
