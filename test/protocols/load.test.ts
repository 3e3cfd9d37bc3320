/**
 * Models outside the registry, loaded by path: a TypeScript module is bundled to plain ESM (its
 * `replcheck/kit` imports pointed at this installation) and checked like a built-in protocol,
 * worker threads included; what cannot be loaded is one line naming the file and the place.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { loadProtocol, ProtocolLoadError } from "../../model/protocols/load.js"
import { BUILT_IN_NAMES, importBuiltIn } from "../../model/protocols/by-name.js"
import { builtInProtocols } from "../../model/protocols/index.js"

const root = join(import.meta.dirname, "../..")
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, "bin/replcheck.js"), ...args], { cwd: root, encoding: "utf8" })
const dir = mkdtempSync(join(tmpdir(), "replcheck-load-"))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe("built-in protocols by name", () => {
  it("by-name.ts loads the registry's protocols, each alone, by the same names in the same order", async () => {
    expect(BUILT_IN_NAMES).toEqual(builtInProtocols.map((p) => p.name))
    for (const p of builtInProtocols) expect(await importBuiltIn(p.name)).toBe(p)
    expect(await importBuiltIn("constructor")).toBeUndefined()
  })
})

describe("loading a model module", () => {
  it("bundles a TypeScript model and remembers where it came from (for worker threads)", async () => {
    const p = await loadProtocol("examples/two-phase-commit/two-phase-commit.ts", root)
    expect(p.name).toBe("two-phase-commit")
    expect(p.source).toMatch(/^file:.*two-phase-commit-[0-9a-f]{16}\.mjs$/)
  })

  it.each([
    ["missing.ts", null, /missing\.ts: no such file/],
    ["broken.ts", "export default {\n  name: 'x',,\n}\n", /broken\.ts:2:\d+: /],
    ["empty.ts", "export const x = 1\n", /empty\.ts: the module exports no protocol \(export default defineProtocol/],
    ["throws.ts", "throw new Error('boom')\n", /throws\.ts: loading the module failed: boom/]
  ])("%s: one line naming the file", async (name, text, message) => {
    const path = text === null ? join(dir, name) : file(name, text)
    const error = await loadProtocol(path).then(
      () => null,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(ProtocolLoadError)
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message.split("\n")).toHaveLength(1)
  })
})

describe("the CLI checks a model by path", () => {
  it("two-phase commit: Stateright's counts, 288 distinct states for 3 resource managers and 8,832 for 5, with 1 and 2 workers", () => {
    for (const [rms, distinct] of [["3", 288], ["5", 8832]] as const) {
      for (const workers of ["1", "2"]) {
        const r = cli("check", "./examples/two-phase-commit/two-phase-commit.ts", "--rms", rms, "--workers", workers, "--json")
        expect(r.status).toBe(0)
        expect(JSON.parse(r.stdout)).toMatchObject({ protocol: "two-phase-commit", distinct, complete: true, violation: null })
      }
    }
  })

  it("finds the broken variant's shortest counterexample", () => {
    const out = mkdtempSync(join(tmpdir(), "replcheck-2pc-"))
    const r = cli("check", "examples/two-phase-commit/two-phase-commit.ts", "--variant", "abort-after-prepare", "--json", "--out", out)
    expect(r.status).toBe(1)
    expect(JSON.parse(r.stdout).violation).toMatchObject({ invariant: "Consistent", length: 10 })
  })

  it("says what is wrong with a module it cannot load, exit 2", () => {
    const r = cli("check", file("bad.ts", "export default 1 +\n"))
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/^replcheck: .*bad\.ts:2:\d+: /)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
  })
})
