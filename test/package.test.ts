/**
 * replcheck as an installed package: `npm pack` gives a tarball that installs into an empty
 * project, where `npx replcheck` checks, simulates and validates a model written there against
 * `replcheck/kit`, the library API does the same from code, and the type declarations check a
 * user's TypeScript. Installing from the git repository works too (prepare builds dist/).
 * Dependencies come from npm's cache when it has them (--prefer-offline).
 */
import { execFileSync, spawnSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..")
const work = mkdtempSync(join(tmpdir(), "replcheck-package-"))
const project = join(work, "project")
const npm = (args: string[], cwd: string) => execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8" })
const npx = (cwd: string, ...args: string[]) => spawnSync("npx", ["--no-install", "replcheck", ...args], { cwd, encoding: "utf8" })

beforeAll(() => {
  // dist/ is built by `npm test`'s pretest; packing it again would only rebuild it.
  npm(["pack", "--ignore-scripts", "--pack-destination", work], root)
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!
  mkdirSync(project)
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "my-models", version: "1.0.0", private: true, type: "module" }))
  npm(["install", join(work, tarball), "--prefer-offline"], project)
  copyFileSync(join(root, "examples/two-phase-commit/two-phase-commit.ts"), join(project, "two-phase-commit.ts"))
}, 300_000)

describe("installed from the packed tarball", () => {
  it("checks a model written in the project: the verdict, and Stateright's 288 and 8,832 states", () => {
    const r = npx(project, "check", "./two-phase-commit.ts")
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/verdict: OK: no invariant violated in the complete state space/)
    for (const [rms, distinct] of [["3", 288], ["5", 8832]] as const) {
      expect(JSON.parse(npx(project, "check", "./two-phase-commit.ts", "--rms", rms, "--workers", "2", "--json").stdout).distinct).toBe(distinct)
    }
  })

  it("finds the broken variant's counterexample and writes it", () => {
    const r = npx(project, "check", "./two-phase-commit.ts", "--variant", "abort-after-prepare")
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/verdict: VIOLATION of Consistent: shortest counterexample has 10 states/)
    expect(readdirSync(join(project, "traces/out"))).toContain("two-phase-commit-abort-after-prepare-Consistent.itf.json")
  })

  it("runs the model's own manifest", () => {
    const r = npx(project, "verdicts", "./two-phase-commit.ts")
    expect(r.stdout).toMatch(/all 4 runs gave their recorded verdicts/)
    expect(r.status).toBe(0)
  })

  it("simulates a run and validates it", () => {
    expect(npx(project, "simulate", "./two-phase-commit.ts", "--steps", "20", "--seed", "5", "--out", "run.ndjson").status).toBe(0)
    const r = npx(project, "validate", "./two-phase-commit.ts", "run.ndjson")
    expect(r.stdout).toMatch(/^accepted: run\.ndjson: \d+ events are a run of two-phase-commit/)
    expect(r.status).toBe(0)
  })

  it("offers the library API", () => {
    writeFileSync(
      join(project, "use.mjs"),
      `import { check, simulate, validate, effects } from "replcheck"
import { Effect } from "effect"
const r = await check("./two-phase-commit.ts", { config: { rms: 3 } })
const v = await check("./two-phase-commit.ts", { variant: "abort-after-prepare" })
const run = await validate("./two-phase-commit.ts", await simulate("./two-phase-commit.ts", { steps: 15 }))
const e = await Effect.runPromise(effects.check("./two-phase-commit.ts", { config: { rms: 2 } }))
let bad = null
try { await check("./two-phase-commit.ts", { config: { rms: 99 } }) } catch (err) { bad = err.name + ": " + err.message }
console.log(JSON.stringify({ distinct: r.distinct, violated: v.violation.invariant, length: v.violation.trace.length, accepted: run.accepted, two: e.distinct, bad }))
`
    )
    const out = JSON.parse(execFileSync(process.execPath, ["use.mjs"], { cwd: project, encoding: "utf8" }))
    expect(out).toEqual({ distinct: 288, violated: "Consistent", length: 10, accepted: true, two: 56, bad: "ReplcheckInputError: rms: Expected a number between 1 and 8, actual 99" })
  })

  it("type-checks a user's model and program against the installed declarations", () => {
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, types: [] }, files: ["two-phase-commit.ts", "typed.ts"] }))
    writeFileSync(
      join(project, "typed.ts"),
      `import { check } from "replcheck"
import model from "./two-phase-commit.js"
const r = await check(model, { config: { rms: 3 } })
export const distinct: number = r.distinct
// @ts-expect-error the result has no such field
export const wrong = r.distinctStates
`
    )
    const r = spawnSync(join(root, "node_modules/.bin/tsc"), ["-p", "."], { cwd: project, encoding: "utf8" })
    expect(r.stdout + r.stderr).toBe("")
    expect(r.status).toBe(0)
  })
})

describe("installed from the git repository", () => {
  it("builds dist/ on install, so npx replcheck runs", () => {
    const from = join(work, "from-git")
    mkdirSync(from)
    writeFileSync(join(from, "package.json"), JSON.stringify({ name: "t", version: "1.0.0", private: true, type: "module" }))
    npm(["install", `git+file://${root}`, "--prefer-offline"], from)
    const r = npx(from, "check", "mutex", "--json")
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ protocol: "mutex", distinct: 8 })
  }, 300_000)
})
