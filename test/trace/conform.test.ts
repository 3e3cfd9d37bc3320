/** replcheck conform against the example Python adapter: the correct implementation conforms, the buggy one is caught. */
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "../..")
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/replcheck.js"), ...args], { cwd: root, encoding: "utf8" })
const adapter = "python3 traces/adapters/python/rollback_adapter.py"
const random = ["--random", "--runs", "50", "--steps", "40", "--prefer", "Rollback", "--max-term", "4", "--max-log-len", "3"]

describe("replcheck conform", () => {
  it("accepts the correct implementation on every step within depth 3", () => {
    const r = cli("conform", "rollback", "--adapter", adapter, "--depth", "3")
    expect(r.stdout).toMatch(/^conforms: python rollback \(correct\): [\d,]+ replies in [\d,]+ runs match the model \(every step within depth 3\)/)
    expect(r.status).toBe(0)
  })

  it("accepts the correct implementation on random runs through rollbacks", () => {
    const r = cli("conform", "rollback", "--adapter", adapter, ...random)
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^conforms: /)
  })

  it("catches the buggy implementation's common point at the plan, naming the node and the run", () => {
    const r = cli("conform", "rollback", "--adapter", `${adapter} --buggy`, ...random)
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/^diverged: python rollback \(buggy\): run \d+, step \d+, RollbackPlan\(i = \d, j = \d\)/)
    expect(r.stdout).toMatch(/\n {4}rollback\[\d\]\.commonPoint: \d vs \d\n/)
    expect(r.stdout).toMatch(/the run:\n {4}0\. reset\n {4}1\. /)
    const json = JSON.parse(cli("conform", "rollback", "--adapter", `${adapter} --buggy`, ...random, "--json").stdout)
    expect(json.divergence.differences).toHaveLength(1)
    expect(json.divergence.differences[0].variable).toMatch(/^rollback\[\d\]$/)
  })

  it.each([
    ["an adapter that cannot start", "/nonexistent/adapter", /adapter: the adapter exited/],
    ["an adapter that is not one", "echo hello", /adapter: the adapter answered with a line that is not JSON: hello/],
    ["an adapter of another version", `sh -c 'read l; echo {\\"type\\":\\"hello\\",\\"version\\":2,\\"implementation\\":\\"x\\"}'`, /adapter: the adapter answered with an unknown reply/]
  ])("%s is a one-line error (exit 2)", (_, command, message) => {
    const r = cli("conform", "rollback", "--adapter", command, "--depth", "1")
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it("needs an adapter", () => {
    const r = cli("conform", "rollback")
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/conform needs --adapter/)
  })
})
