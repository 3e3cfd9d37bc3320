/**
 * `check --disk DIR` as a user runs it: the report and the counterexample files of the search in
 * memory, memory within --memory, nothing left in DIR, and bad combinations refused up front.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { run, searchOutcome as outcome } from "../support/cli.js"

const temp = () => mkdtempSync(join(tmpdir(), "replcheck-disk-"))

describe("check --disk", () => {
  it("writes the counterexample of the search in memory, within --memory, and leaves DIR empty", () => {
    const args = ["check", "raftmongo", "--variant", "commit-by-counting", "--json"]
    const memoryOut = temp()
    const inMemory = run(...args, "--out", memoryOut)
    expect(inMemory.code).toBe(1)
    const dir = temp()
    const diskOut = temp()
    const onDisk = run(...args, "--out", diskOut, "--disk", dir, "--memory", "256m")
    expect(onDisk.stderr).toBe("")
    expect(onDisk.code).toBe(1)
    expect(outcome(onDisk.stdout)).toEqual(outcome(inMemory.stdout))
    const report = JSON.parse(onDisk.stdout)
    expect(report.disk).toBe(dir)
    expect(report.peakRssBytes).toBeLessThan(256 * 2 ** 20)
    expect(readdirSync(dir)).toEqual([])
    const files = readdirSync(memoryOut).sort()
    expect(readdirSync(diskOut).sort()).toEqual(files)
    for (const f of files.filter((f) => f.endsWith(".txt"))) {
      expect(readFileSync(join(diskOut, f), "utf8")).toBe(readFileSync(join(memoryOut, f), "utf8"))
    }
  })

  it.each([
    [["--workers", "2"], /--disk searches on one thread/],
    [["--checkpoint", "cp"], /--disk keeps no checkpoint/],
    [["--simulate"], /not --simulate/],
    [["--liveness"], /--liveness checks temporal properties only/],
    [["--memory", "64m"], /--memory 64 MiB is too small for --disk/]
  ])("refuses --disk with %s (exit 2, before searching)", (extra, message) => {
    const dir = temp()
    const r = run("check", "mutex", "--disk", dir, ...extra)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(readdirSync(dir)).toEqual([])
  })

  it("says so when DIR cannot be written (exit 2)", () => {
    const r = run("check", "mutex", "--disk", "/proc/replcheck-no-such-dir")
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/cannot write to \/proc\/replcheck-no-such-dir/)
  })
})
