/**
 * The adapter link (model/trace/conform.ts): a hung or stubborn adapter is ended with everything it
 * started, within a bounded time; a reply line without end, a line that answers no request and an
 * adapter that observes nothing are adapter failures, not silent passes.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { spawnAdapter } from "../../model/trace/conform.js"

const root = join(import.meta.dirname, "../..")
const dir = mkdtempSync(join(tmpdir(), "replcheck-adapter-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const hello = { type: "hello" as const, version: 1 as const, protocol: "rollback", config: {}, nodes: [1, 2, 3] }
const py = (code: string) => `python3 -c '${code}'`

/** Is the process gone (or a zombie no one has reaped yet, which runs no code)? */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z")
  } catch {
    return true
  }
}

describe("ending an adapter", () => {
  it("a hung adapter started through a shell is ended with its child, soon after the timeout", async () => {
    const pidFile = join(dir, "hung.pid")
    // `; true` keeps the shell from exec'ing python, so python is the shell's child, not the adapter itself.
    const link = spawnAdapter(`${py(`import os, time; open("${pidFile}", "w").write(str(os.getpid())); time.sleep(40)`)}; true`, { timeoutMs: 500, graceMs: 300 })
    const started = Date.now()
    await expect(link.request(hello)).rejects.toThrow(/did not answer "hello" within 500 ms/)
    await link.close()
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(gone(Number(readFileSync(pidFile, "utf8")))).toBe(true)
  })

  it("an adapter that ignores bye and SIGTERM is killed", async () => {
    const pidFile = join(dir, "stubborn.pid")
    const reply = JSON.stringify({ type: "hello", version: 1, implementation: "stubborn" })
    const link = spawnAdapter(
      py(`import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open("${pidFile}", "w").write(str(os.getpid()))
sys.stdin.readline(); print(${JSON.stringify(reply)}, flush=True)
time.sleep(40)`),
      { graceMs: 300 }
    )
    expect(await link.request(hello)).toEqual({ type: "hello", version: 1, implementation: "stubborn" })
    const started = Date.now()
    await link.close()
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(gone(Number(readFileSync(pidFile, "utf8")))).toBe(true)
  })
})

describe("replies", () => {
  it("a line longer than the limit is refused, with no string ever that long", async () => {
    const link = spawnAdapter(py(`import sys; sys.stdin.readline(); sys.stdout.write("x" * 3000000); sys.stdout.flush(); import time; time.sleep(5)`), { maxLineBytes: 1_000_000, graceMs: 200 })
    await expect(link.request(hello)).rejects.toThrow(/a line longer than 1,000,000 bytes/)
    await link.close()
  })

  it("a line that answers no request is an error, not dropped", async () => {
    const reply = JSON.stringify({ type: "hello", version: 1, implementation: "twice" })
    const link = spawnAdapter(py(`import sys, time; sys.stdin.readline(); print(${JSON.stringify(reply)}); print(${JSON.stringify(reply)}, flush=True); time.sleep(5)`), { graceMs: 200 })
    expect((await link.request(hello)).type).toBe("hello")
    await new Promise((r) => setTimeout(r, 200))
    await expect(link.request({ type: "reset" })).rejects.toThrow(/a line that answers no request/)
    await link.close()
  })
})

describe("replcheck conform with an adapter that observes nothing", () => {
  const adapter = py(`import json, sys
for line in sys.stdin:
    req = json.loads(line)
    if req["type"] == "hello": print(json.dumps({"type": "hello", "version": 1, "implementation": "blind"}), flush=True)
    elif req["type"] == "bye": break
    else: print(json.dumps({"type": "state", "observed": {}}), flush=True)`)
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/replcheck.js"), ...args], { cwd: root, encoding: "utf8" })
  it("is refused (exit 2)", () => {
    const r = cli("conform", "rollback", "--adapter", adapter, "--depth", "1")
    expect(r.status).toBe(2)
    expect(r.stderr.trim()).toMatch(/^replcheck: adapter: no reply of the adapter observed any variable, so nothing was compared \(--allow-empty-observation accepts that\)$/)
  })
  it("is accepted with --allow-empty-observation", () => {
    const r = cli("conform", "rollback", "--adapter", adapter, "--depth", "1", "--allow-empty-observation")
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^conforms: blind: /)
  })
})
