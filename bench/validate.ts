/**
 * `npm run bench:validate`: trace validation speed and memory. Writes seeded random runs of the
 * mutex (3 processes; its runs never end, so a trace can be as long as we like) with full and
 * with no observation and validates each with `replcheck validate --json` in a fresh process,
 * printing events, seconds, events per second and minute, and peak RSS. For rollback it validates
 * two long runs of the reference implementation's cluster (terms and logs past every check bound),
 * then 2,000 short random runs of the model in this process (their total), then writes 1,000 of
 * them as files and validates the directory with one `replcheck validate` command, on one thread
 * and on two.
 *
 *   npm run bench:validate [-- --events N]
 */
import { spawnSync } from "node:child_process"
import rollback from "../model/protocols/rollback/index.js"
import { simulateTrace } from "../model/trace/simulate.js"
import { validateTrace } from "../model/trace/validate.js"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../../bin/replcheck.js", import.meta.url))
const dir = "traces/out/bench"
mkdirSync(dir, { recursive: true })
const argv = process.argv.slice(2)
const events = Number(argv[argv.indexOf("--events") + 1] ?? 1_000_000) || 1_000_000

const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", maxBuffer: 1 << 26 })
  if (r.status !== 0) throw new Error(`replcheck ${args.join(" ")} failed (${r.status}): ${r.stderr}`)
  return r.stdout
}

/** One line of the table. */
function row(name: string, events: number, seconds: number, rssMiB: number, fileMiB: number | null, note = ""): void {
  const rate = events / seconds
  console.log(
    [
      name.padEnd(26),
      events.toLocaleString("en-US").padStart(9),
      seconds.toFixed(2).padStart(7),
      Math.round(rate).toLocaleString("en-US").padStart(9),
      Math.round(rate * 60).toLocaleString("en-US").padStart(11),
      rssMiB.toFixed(0).padStart(12),
      (fileMiB === null ? "-" : fileMiB.toFixed(1)).padStart(8)
    ].join(" | ") + note
  )
}

const cases = [
  { name: "mutex, fully observed", protocol: "mutex", sim: ["--processes", "3", "--steps", String(events), "--observe", "full"] },
  { name: "mutex, unobserved", protocol: "mutex", sim: ["--processes", "3", "--steps", String(events), "--observe", "none"] }
]
/**
 * Long rollback runs of the reference implementation's cluster (seed 3), terms and logs past any
 * check bound, each event observing the node's scalars (`--observe scalars`): logs capped at 2,000
 * entries (the 100,000-event target: terms above 100, logs above 1,000) and at 100.
 */
const rollbackRuns = [
  { name: "rollback, logs to 2,000", steps: Math.min(events, 100_000), maxLogLen: 2000 },
  { name: "rollback, logs to 100", steps: events, maxLogLen: 100 }
]

console.log(`replcheck validate bench, ${new Date().toISOString()}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`)
console.log("trace                      | events    | seconds | events/s  | events/min  | peak RSS MiB | file MiB")
for (const c of cases) {
  const file = `${dir}/${c.protocol}-${c.name.split(", ")[1]!.replace(/ /g, "-")}.ndjson`
  run(["simulate", c.protocol, ...c.sim, "--seed", "1", "--out", file])
  const j = JSON.parse(run(["validate", c.protocol, file, "--json"]))
  if (!j.accepted) throw new Error(`${file} was rejected`)
  const size = Number(spawnSync("stat", ["-c", "%s", file], { encoding: "utf8" }).stdout) / 2 ** 20
  row(c.name, j.events, j.seconds, j.peakRssBytes / 2 ** 20, size)
}

for (const c of rollbackRuns) {
  const file = `${dir}/rollback-cluster-${c.maxLogLen}.ndjson`
  run(["cluster", "rollback", "--seed", "3", "--steps", String(c.steps), "--max-term", "1000000000", "--max-log-len", String(c.maxLogLen), "--observe", "scalars", "--out", file])
  const j = JSON.parse(run(["validate", "rollback", file, "--json"]))
  if (!j.accepted) throw new Error(`${file} was rejected`)
  const last = JSON.parse(spawnSync("tail", ["-1", file], { encoding: "utf8" }).stdout)
  // The longest log: the largest length an append reached.
  let longest = 0
  for (const m of readFileSync(file, "utf8").matchAll(/"lastAppended":(\d+)/g)) longest = Math.max(longest, Number(m[1]))
  const size = Number(spawnSync("stat", ["-c", "%s", file], { encoding: "utf8" }).stdout) / 2 ** 20
  row(c.name, j.events, j.seconds, j.peakRssBytes / 2 ** 20, size, `  (last term ${last.observed.currentTerm.toLocaleString("en-US")}, longest log ${longest.toLocaleString("en-US")})`)
}

{
  const config = { servers: 3, maxTerm: 6, maxLogLen: 3, maxClientWriteSize: 1 }
  const model = rollback.build(config, "base", { symmetry: false })
  const runs = Array.from({ length: 2000 }, (_, seed) => simulateTrace("rollback", config, model, { steps: 400, seed, observe: "full", hidden: [], prefer: ["Rollback"] }))
  async function* each(lines: readonly string[]) {
    yield* lines
  }
  let total = 0
  const started = performance.now()
  for (const lines of runs) {
    const r = await validateTrace(rollback, rollback.traceMapping!, each(lines), "run", { internalSteps: 0 })
    if (!r.accepted) throw new Error("a rollback run was rejected")
    total += r.events
  }
  const seconds = (performance.now() - started) / 1000
  row("rollback, 2,000 full runs", total, seconds, process.resourceUsage().maxRSS / 1024, null)
}

{
  // One command for a directory of traces (issue 11's batch target: 1,000 small traces in under
  // 10 s on 2 cores), start-up included: rollback runs, written as files.
  const config = { servers: 3, maxTerm: 6, maxLogLen: 3, maxClientWriteSize: 1 }
  const model = rollback.build(config, "base", { symmetry: false })
  const batch = `${dir}/rollback-batch`
  rmSync(batch, { recursive: true, force: true })
  mkdirSync(batch, { recursive: true })
  let written = 0
  for (let seed = 0; seed < 1000; seed++) {
    const lines = simulateTrace("rollback", config, model, { steps: 400, seed, observe: "full", hidden: [], prefer: ["Rollback"] })
    writeFileSync(`${batch}/run-${String(seed).padStart(4, "0")}.ndjson`, lines.join("\n") + "\n")
    written += lines.length - 1
  }
  for (const workers of [1, 2]) {
    const started = performance.now()
    const j = JSON.parse(run(["validate", "rollback", batch, "--json", "--workers", String(workers)]))
    const wall = (performance.now() - started) / 1000
    if (j.accepted !== 1000) throw new Error(`the batch accepted ${j.accepted} of 1,000 traces`)
    console.log(`rollback, 1,000 trace files in one validate command, ${workers} worker${workers === 1 ? "" : "s"}: ${written.toLocaleString("en-US")} events, ${wall.toFixed(2)} s wall (${j.seconds.toFixed(2)} s validating)`)
  }
}
