/**
 * replcheck conform recovery against the example Python adapter (traces/adapters/python/recovery_adapter.py):
 * the correct implementation conforms, the buggy one (the classification of lsn-only-handshake) is caught.
 */
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "../..")
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/replcheck.js"), ...args], { cwd: root, encoding: "utf8" })
const adapter = "python3 traces/adapters/python/recovery_adapter.py"
// The bug needs a write by the first primary, a failover accepted by both nodes, a write by the new
// primary and its handshake with the deposed one: steering random runs into those steps catches it
// within 23 runs on each of seeds 1..200 (without --prefer: within 75).
const prefer = ["--prefer", "Write", "--prefer", "Failover", "--prefer", "AcceptAssignment", "--prefer", "Handshake"]
const random = ["--random", "--runs", "50", ...prefer]
// The shortest run that shows the bug has 6 steps (Write, Failover, both AcceptAssignments, Write, Handshake).
const bugDepth = "6"

describe("replcheck conform recovery", () => {
  it("accepts the correct implementation on every step within depth 3", () => {
    const r = cli("conform", "recovery", "--adapter", adapter, "--depth", "3")
    expect(r.stdout).toMatch(/^conforms: python recovery \(correct\): [\d,]+ replies in [\d,]+ runs match the model \(every step within depth 3\)/)
    expect(r.status).toBe(0)
  })

  it("accepts the correct implementation on every step within the depth where the bug shows", () => {
    const r = cli("conform", "recovery", "--adapter", adapter, "--depth", bugDepth)
    expect(r.stdout).toMatch(/^conforms: python recovery \(correct\): [\d,]+ replies in [\d,]+ runs match the model \(every step within depth 6\)/)
    expect(r.status).toBe(0)
  }, 20_000)

  it.each([
    ["the default bounds, steered to failovers and handshakes", [...random, "--seed", "7"]],
    ["the default bounds, unsteered", ["--random", "--runs", "50", "--steps", "40"]],
    ["three nodes, three epochs, into the recovery driver", ["--replicas", "2", "--max-lsn", "3", "--max-epoch", "3", "--random", "--runs", "40", "--steps", "50", "--prefer", "Handshake", "--prefer", "Pin", "--prefer", "Truncate", "--prefer", "StartRebuild", "--prefer", "PlanRebuild", "--prefer", "Transfer", "--prefer", "StreamEntry", "--prefer", "Complete", "--prefer", "TakeSnapshot", "--prefer", "CollectWal"]]
  ])("accepts the correct implementation on random runs: %s", (_, flags) => {
    const r = cli("conform", "recovery", "--adapter", adapter, ...flags)
    expect(r.stdout).toMatch(/^conforms: python recovery \(correct\): /)
    expect(r.status).toBe(0)
  }, 20_000)

  it("misses the buggy classification within depth 5: the bug needs six steps", () => {
    const r = cli("conform", "recovery", "--adapter", `${adapter} --buggy`, "--depth", "5")
    expect(r.stdout).toMatch(/^conforms: python recovery \(buggy\): /)
    expect(r.status).toBe(0)
  })

  it("catches the buggy classification on every step within depth 6, at the deposed primary's handshake", () => {
    const r = cli("conform", "recovery", "--adapter", `${adapter} --buggy`, "--depth", bugDepth)
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/^diverged: python recovery \(buggy\): run \d+, step 6, Handshake\(p = 2, r = 1\)/)
    // The model needs a rebuild of node 1 (its entry at LSN 1 is the deposed epoch's); the buggy classification holds it in sync.
    expect(r.stdout).toMatch(/\n {4}sender\[2\]\[1\]\.view: "NeedsRebuild" vs "InSync"\n {4}sender\[2\]\[1\]\.acked: 0 vs 1\n/)
    expect(r.stdout).toMatch(/the run:\n {4}0\. reset\n {4}1\. Write\(p = 1\)\n/)
  }, 20_000)

  it("catches the buggy classification on random runs, naming the step, the node and the run", () => {
    for (const seed of ["1", "2", "3"]) {
      const r = cli("conform", "recovery", "--adapter", `${adapter} --buggy`, ...random, "--seed", seed)
      expect(r.status).toBe(1)
      expect(r.stdout).toMatch(/^diverged: python recovery \(buggy\): run \d+, step \d+, Handshake\(p = (\d), r = (?!\1)\d\)/)
      expect(r.stdout).toMatch(/sender\[\d\]\[\d\]\.view: "NeedsRebuild" vs "/)
      expect(r.stdout).toMatch(/the run:\n {4}0\. reset\n {4}1\. /)
    }
    const json = JSON.parse(cli("conform", "recovery", "--adapter", `${adapter} --buggy`, ...random, "--json").stdout)
    const { run, differences } = json.divergence
    const handshake = run[run.length - 1]
    expect(handshake.name).toBe("Handshake")
    expect(differences).toHaveLength(1)
    expect(differences[0].variable).toBe(`sender[${handshake.args.p}]`)
    expect(differences[0].model[handshake.args.r - 1].view).toBe("NeedsRebuild")
    expect(differences[0].implementation[handshake.args.r - 1].view).not.toBe("NeedsRebuild")
  }, 20_000)

  it("the adapter refuses a step its implementation cannot take with an error reply", () => {
    const requests = [
      { type: "hello", version: 1, protocol: "recovery", config: { replicas: 1, maxLsn: 2, maxEpoch: 2 }, nodes: [1, 2] },
      { type: "reset" },
      { type: "step", action: "Complete", node: 1, args: { r: 2 } },
      { type: "step", action: "Write", node: 1, args: {} },
      { type: "bye" }
    ]
    const r = spawnSync("python3", ["traces/adapters/python/recovery_adapter.py"], { cwd: root, encoding: "utf8", input: requests.map((q) => JSON.stringify(q)).join("\n") + "\n" })
    const replies = r.stdout.trim().split("\n").map((l) => JSON.parse(l))
    expect(replies.map((x) => x.type)).toEqual(["hello", "state", "error", "state"])
    expect(replies[2].message).toMatch(/^Complete refused: node 1 has no session/)
    expect(replies[3].observed.log).toEqual([[1], []])
    expect(r.status).toBe(0)
  })

  it.each([
    ["an adapter that cannot start", "/nonexistent/adapter", /adapter: the adapter exited/],
    ["the adapter asked for another protocol", adapter, /adapter: the adapter refused hello: this adapter implements recovery only/]
  ])("%s is an adapter error (exit 2)", (_, command, message) => {
    const r = cli("conform", command === adapter ? "rollback" : "recovery", "--adapter", command, "--depth", "1")
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it("needs an adapter", () => {
    const r = cli("conform", "recovery")
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/conform needs --adapter/)
  })
})
