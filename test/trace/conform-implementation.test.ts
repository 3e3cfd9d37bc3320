/**
 * Implementation-driven conformance (`conform --implementation-driven`): the adapter chooses each
 * step itself (`propose`) and replcheck checks that the model allows it and that the states
 * agree. The example rollback adapter chooses writes, stepdowns and elections with its own vote
 * granting; with --buggy-votes a server grants its vote whatever the logs. Model-driven runs,
 * where replcheck chooses the voters, never meet that bug; implementation-driven runs name the
 * vote the model refuses.
 */
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "../..")
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/replcheck.js"), ...args], { cwd: root, encoding: "utf8" })
const adapter = "python3 traces/adapters/python/rollback_adapter.py"
const driven = ["--implementation-driven", "--runs", "30", "--steps", "20"]
/** A fake adapter (Python) that answers hello and reset like the correct one, then `took` with the given reply. */
const fake = (took: object) =>
  `python3 -c '${[
    "import json, sys",
    "for line in sys.stdin:",
    "    r = json.loads(line)",
    '    t = r["type"]',
    '    if t == "bye": break',
    '    out = {"type": "hello", "version": 1, "implementation": "fake"} if t == "hello" else {"type": "state", "observed": {"currentTerm": [0, 0, 0]}} if t == "reset" else ' + JSON.stringify(took),
    '    print(json.dumps(out), flush=True)'
  ].join("\n")}'`

describe("replcheck conform --implementation-driven", () => {
  it.each([
    ["the default bounds", ["--seed", "1"]],
    ["another seed", ["--seed", "2"]],
    ["five servers, terms to 4, logs to 3", ["--servers", "5", "--max-term", "4", "--max-log-len", "3", "--seed", "3"]]
  ])("accepts the correct implementation's own choices: %s", (_, flags) => {
    const r = cli("conform", "rollback", "--adapter", adapter, ...driven, ...flags)
    expect(r.stdout).toMatch(/^conforms: python rollback \(correct\): [\d,]+ replies in 30 runs match the model \(30 runs of up to 20 steps the implementation chose, seed \d\)/)
    // It chose elections, writes and stepdowns; never the steps it does not initiate.
    expect(r.stdout).toMatch(/\n {2}driven: AppendOplog 0, BecomePrimaryByMagic [1-9][\d,]*, Stepdown [1-9][\d,]*, ClientWrite [1-9][\d,]*, /)
    expect(r.status).toBe(0)
  })

  it("model-driven runs miss the vote-granting bug: replcheck chooses the voters there", () => {
    for (const flags of [["--depth", "4"], ["--random", "--runs", "100", "--prefer", "Become", "--prefer", "Client"]]) {
      const r = cli("conform", "rollback", "--adapter", `${adapter} --buggy-votes`, ...flags)
      expect(r.stdout).toMatch(/^conforms: python rollback \(buggy-votes\): /)
      expect(r.status).toBe(0)
    }
  })

  it("implementation-driven runs catch it, naming the vote the model refuses", () => {
    for (const seed of ["1", "2", "3"]) {
      const r = cli("conform", "rollback", "--adapter", `${adapter} --buggy-votes`, ...driven, "--seed", seed)
      expect(r.status, `seed ${seed}`).toBe(1)
      expect(r.stdout).toMatch(/^diverged: python rollback \(buggy-votes\): run \d+, step \d+, BecomePrimaryByMagic\(i = (\d), ayeVoters = \{[\d, ]+\}\)\n/)
      expect(r.stdout).toMatch(/\n {2}the implementation took a step the model does not allow here: server \d does not vote for server \d \(its log is ahead or its term is higher\)\n/)
      // The leader that wrote is among the voters of a candidate whose log is behind.
      expect(r.stdout).toMatch(/\n {4}\d+\. ClientWrite\(i = \d, numEntries = 1\)\n/)
    }
  })

  it("a step the model has no such action for, and a state that differs from the model's step, are divergences", () => {
    const unknown = cli("conform", "rollback", "--adapter", fake({ type: "took", action: "Elect", node: 1, args: {}, observed: {} }), ...driven)
    expect(unknown.status).toBe(1)
    expect(unknown.stdout).toMatch(/the implementation took a step the model does not allow here: Elect is no action of the model \(its actions: AppendOplog, /)
    const wrongState = cli("conform", "rollback", "--adapter", fake({ type: "took", action: "BecomePrimaryByMagic", node: 1, args: { ayeVoters: [1, 2] }, observed: { currentTerm: [1, 1, 1] } }), ...driven)
    expect(wrongState.status).toBe(1)
    expect(wrongState.stdout).toMatch(/^diverged: fake: run 1, step 1, BecomePrimaryByMagic\(i = 1, ayeVoters = \{1, 2\}\)\n {2}variables that differ \(model vs implementation\):\n {4}currentTerm\[3\]: 0 vs 1\n/)
  })

  it("an adapter that cannot choose its own steps is an adapter failure (exit 2); flags that choose steps are refused", () => {
    const r = cli("conform", "recovery", "--adapter", "python3 traces/adapters/python/recovery_adapter.py", ...driven)
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/adapter: the adapter answered propose with an error: this implementation does not choose its own steps/)
    const both = cli("conform", "rollback", "--adapter", adapter, ...driven, "--random")
    expect(both.status).toBe(2)
    expect(both.stderr).toMatch(/--implementation-driven runs let the implementation choose: leave out --random, --depth and --prefer/)
  })
})
