/**
 * The trace explorer (model/trace/html.ts): `check --html` and `replcheck explore` write one
 * self-contained page per trace, checked here as text and in a real headless Chromium (Debian's
 * `chromium`, which .ci/run installs): the page loads from file:// with no console message, shows
 * every state, and a screenshot is kept in test-results/explorer.png.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { Schema } from "effect"
import type { KitModel } from "../../model/kit/index.js"
import raftmongo from "../../model/protocols/raftmongo/index.js"
import { renderExplorer } from "../../model/trace/html.js"
import { stateSchema } from "../../model/trace/state-schema.js"
import { run } from "../support/cli.js"

const root = join(import.meta.dirname, "../..")

/** A counterexample of raftmongo written with --html: its ITF document and its page. */
function counterexample() {
  const out = mkdtempSync(join(tmpdir(), "replcheck-html-"))
  const r = run("check", "raftmongo", "--servers", "3", "--max-term", "2", "--max-log-len", "2", "--variant", "learn-commit-point-without-term-check", "--html", "--json", "--out", out)
  expect(r.code).toBe(1)
  const v = JSON.parse(r.stdout).violation
  return { itf: JSON.parse(readFileSync(v.traceFile, "utf8")), html: readFileSync(v.htmlFile, "utf8"), htmlFile: v.htmlFile as string, length: v.length as number }
}

const browser = process.env["REPLCHECK_CHROMIUM"] ?? "chromium"
const hasBrowser = spawnSync(browser, ["--version"], { encoding: "utf8" }).status === 0
// .ci/run installs Chromium and sets this: there, a missing browser fails instead of skipping.
const browserRequired = process.env["REPLCHECK_BROWSER_REQUIRED"] === "1"

/** Loads a page in headless Chromium: the DOM after load, and every console message it logged. */
function load(file: string, screenshot?: string) {
  const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0", "--window-size=1400,900"]
  const dom = spawnSync(browser, [...flags, "--dump-dom", `file://${file}`], { encoding: "utf8", timeout: 60_000 })
  if (screenshot) spawnSync(browser, [...flags, `--screenshot=${screenshot}`, `file://${file}`], { encoding: "utf8", timeout: 60_000 })
  return { dom: dom.stdout, console: dom.stderr.split("\n").filter((l) => l.includes(":CONSOLE")) }
}

describe("trace explorer", () => {
  it("check --html writes a page with a row per state, a lane per node, the changes and the cause marked", () => {
    const { itf, html, length } = counterexample()
    expect(html.match(/<tr class="step/g)).toHaveLength(length)
    expect(html.match(/<th>node \d<\/th>/g)).toEqual(["<th>node 1</th>", "<th>node 2</th>", "<th>node 3</th>"])
    expect(html).toContain(`Violated at state ${length}: <strong>NeverRollbackBeforeCommitPoint</strong>`)
    // Each action of the trace heads its row.
    for (const [k, s] of itf.states.entries()) expect(html).toMatch(new RegExp(`id="state-${k + 1}"><th class="action"><span class="index">${k + 1}</span> ${k === 0 ? "init" : s["#meta"].action}`))
    // The cause, from the ITF's #meta: each entry outlined in its node's lane of the last row.
    const cause = itf["#meta"].cause as string[]
    expect(cause.length).toBeGreaterThan(0)
    const lastRow = html.slice(html.indexOf(`id="state-${length}"`))
    const lanes = lastRow.split('<td class="lane">').slice(1)
    for (const c of cause) {
      const [, variable, node] = /^(\w+)\[(\d)\]$/.exec(c)!
      expect(lanes[Number(node) - 1]).toContain(`<div class="changed cause" data-var="${variable}">`)
    }
    expect(lastRow.match(/ cause"/g)).toHaveLength(cause.length)
  })

  it("the cause is the last step's changes that, undone alone, make the invariant hold", () => {
    const { itf } = counterexample()
    const model = raftmongo.build(itf["#meta"].config, itf["#meta"].variant) as KitModel
    const decode = Schema.decodeUnknownSync(stateSchema(model))
    const readable = (s: Record<string, unknown>) => decode(Object.fromEntries(Object.entries(s).filter(([k]) => k !== "#meta" && !k.startsWith("mbt::")))) as Record<string, unknown[]>
    const [last, before] = [readable(itf.states.at(-1)), readable(itf.states.at(-2))]
    const invariant = model.stateInvariants.find((i) => i.name === itf["#meta"].invariant)!
    const holdsWith = (variable: string, node: number) => {
      const bytes = new Uint8Array(model.widthBytes)
      model.codec.encode({ ...last, [variable]: last[variable]!.map((v, k) => (k === node - 1 ? before[variable]![k] : v)) }, bytes)
      return invariant.holds(bytes)
    }
    const changed: string[] = []
    for (const f of model.layout.fields.filter((f) => f.scope === "node")) {
      for (let node = 1; node <= model.layout.nodes; node++) {
        if (JSON.stringify(last[f.name]![node - 1]) !== JSON.stringify(before[f.name]![node - 1])) changed.push(`${f.name}[${node}]`)
      }
    }
    const cause = itf["#meta"].cause as string[]
    expect(cause.length).toBeGreaterThan(0)
    for (const c of changed) {
      const [, variable, node] = /^(\w+)\[(\d)\]$/.exec(c)!
      expect(holdsWith(variable!, Number(node)), c).toBe(cause.includes(c))
    }
    expect(changed).toEqual(expect.arrayContaining(cause))
  })

  it("renders a trace from another tool (no #meta, Quint's forms) and escapes what it shows", () => {
    const page = renderExplorer(
      {
        vars: ["x", "names"],
        states: [
          { x: { "#map": [[{ "#bigint": "1" }, { "#bigint": "0" }], [{ "#bigint": "2" }, { "#bigint": "0" }]] }, names: { "#set": ["<script>alert(1)</script>"] } },
          { x: { "#map": [[{ "#bigint": "1" }, { "#bigint": "1" }], [{ "#bigint": "2" }, { "#bigint": "0" }]] }, names: { "#set": [] } }
        ]
      },
      "other.itf.json"
    )
    expect(page.match(/<th>node \d<\/th>/g)).toHaveLength(2)
    expect(page).toContain("<th>global</th>")
    expect(page).not.toContain("<script>alert")
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;")
    // State 2 changed node 1's x, not node 2's.
    const row = page.slice(page.indexOf('id="state-2"'))
    expect(row.split('<td class="lane">')[1]).toContain('class="changed" data-var="x"')
    expect(row.split('<td class="lane">')[2]).toContain('class="same" data-var="x"')
  })

  it("replcheck explore writes the page beside the trace; bad input is one line, exit 2", () => {
    const { itf } = counterexample()
    const dir = mkdtempSync(join(tmpdir(), "replcheck-explore-"))
    const file = join(dir, "t.itf.json")
    writeFileSync(file, JSON.stringify(itf))
    const r = run("explore", file)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`wrote ${join(dir, "t.html")} (${itf.states.length} states)\n`)
    expect(readFileSync(join(dir, "t.html"), "utf8")).toContain("<!DOCTYPE html>")
    writeFileSync(join(dir, "bad.itf.json"), '{"states": []}')
    const bad = run("explore", join(dir, "bad.itf.json"))
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe(`replcheck: ${join(dir, "bad.itf.json")}:1: states: an ITF trace needs a non-empty array of states (objects)\n`)
    writeFileSync(join(dir, "broken.itf.json"), '{"states": [')
    expect(run("explore", join(dir, "broken.itf.json")).stderr).toMatch(/broken\.itf\.json:1: not valid JSON/)
  })

  it.skipIf(!hasBrowser && !browserRequired)("loads in headless Chromium from file:// with no console message and shows every state", () => {
    expect(hasBrowser, `no ${browser} to run (install Debian's chromium, or set REPLCHECK_CHROMIUM)`).toBe(true)
    const { htmlFile, length } = counterexample()
    mkdirSync(join(root, "test-results"), { recursive: true })
    const shot = join(root, "test-results/explorer.png")
    const page = load(htmlFile, shot)
    expect(page.console).toEqual([])
    expect(page.dom.match(/<tr class="step/g)).toHaveLength(length)
    expect(page.dom).toContain("NeverRollbackBeforeCommitPoint")
    // A PNG was written.
    expect(readFileSync(shot).subarray(1, 4).toString("latin1")).toBe("PNG")
    // The console check catches a page that fails.
    const broken = join(mkdtempSync(join(tmpdir(), "replcheck-broken-")), "broken.html")
    writeFileSync(broken, "<!DOCTYPE html><p>x</p><script>notDefined()</script>")
    expect(load(broken).console.join("\n")).toMatch(/Uncaught ReferenceError: notDefined is not defined/)
  }, 120_000)
})
