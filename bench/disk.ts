/**
 * `npm run bench:disk`: the search on disk (`check --disk`) against the search in memory, one
 * worker each (the search on disk runs on one thread), as fresh `replcheck check --json`
 * processes, so that each peak RSS is that run's own. Prints distinct and generated states, wall
 * time, states per second and peak RSS of each, and the slowdown (issue 15, part 3: at most 2x).
 *
 *   npm run bench:disk [-- <protocol> [--bound-flag N ...]] [-- --memory 512m] [-- --skip-memory]
 *
 * Default: rollback at its defaults (3,957,319 states) with --memory 512m. The files go to a
 * fresh directory under the system's temporary directory.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../../bin/replcheck.js", import.meta.url))
const argv = process.argv.slice(2)
const take = (flag: string): string | undefined => {
  const at = argv.indexOf(flag)
  if (at < 0) return undefined
  const [, value] = argv.splice(at, 2)
  return value
}
const memory = take("--memory") ?? "512m"
const skipMemory = argv.includes("--skip-memory")
const model = argv.filter((a) => a !== "--skip-memory")
if (model.length === 0) model.push("rollback")

interface Row {
  readonly name: string
  readonly distinct: number
  readonly generated: number
  readonly wall: number
  readonly rss: number
}

function once(name: string, extra: string[]): Row {
  const started = performance.now()
  const r = spawnSync(process.execPath, [bin, "check", ...model, "--json", ...extra], { encoding: "utf8", maxBuffer: 1 << 26 })
  const wall = (performance.now() - started) / 1000
  if (r.status !== 0 && r.status !== 1) throw new Error(`${name}: exit ${r.status}: ${r.stderr}`)
  const report = JSON.parse(r.stdout)
  return { name, distinct: report.distinct, generated: report.generated, wall, rss: report.peakRssBytes }
}

const num = (n: number) => n.toLocaleString("en-US")
console.log(`replcheck disk bench, ${new Date().toISOString()}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`)
console.log(`check ${model.join(" ")}, one worker; --disk with --memory ${memory}`)
console.log("run          distinct     generated    wall s   states/s   peak RSS MiB")
const dir = mkdtempSync(join(tmpdir(), "replcheck-bench-disk-"))
const rows: Row[] = []
try {
  if (!skipMemory) rows.push(once("in memory", []))
  rows.push(once("on disk", ["--disk", dir, "--memory", memory]))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
for (const r of rows) {
  console.log(
    [r.name.padEnd(10), num(r.distinct).padStart(12), num(r.generated).padStart(13), r.wall.toFixed(2).padStart(9), num(Math.round(r.generated / r.wall)).padStart(10), num(Math.round(r.rss / 2 ** 20)).padStart(14)].join(" ")
  )
}
if (rows.length === 2) {
  const [m, d] = rows as [Row, Row]
  if (m.distinct !== d.distinct || m.generated !== d.generated) throw new Error("the searches disagree on the counts")
  console.log(`slowdown on disk: ${(d.wall / m.wall).toFixed(2)}x`)
}
