/**
 * `npm run bench:simulate`: random simulation with invariants (`replcheck check --simulate`), each
 * case in a fresh process through the CLI's JSON report: runs, steps, states generated and
 * checked, wall time, runs and steps per second, peak RSS. The cases: raftmongo at bounds too
 * large to exhaust here (5 servers, maxTerm 4, logs of 5) with no violation to stop the walks, and
 * the time to find the 5-server NeverRollbackCommitted violation (MongoDB's bounds with 5 servers)
 * by simulation, on 1 and 2 threads, against the exhaustive search of the same bounds.
 *
 *   npm run bench:simulate
 */
import { spawnSync } from "node:child_process"
import { cpus } from "node:os"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../../bin/replcheck.js", import.meta.url))
const out = "traces/out/bench"

interface Case {
  readonly name: string
  readonly args: readonly string[]
}
const cases: readonly Case[] = [
  { name: "raftmongo 5s T4 L5 W2, 2,000 runs of 100 steps", args: ["raftmongo", "--servers", "5", "--max-term", "4", "--max-log-len", "5", "--max-client-write-size", "2", "--invariant", "NoTwoPrimariesInSameTerm", "--simulate", "--runs", "2000", "--depth", "100"] },
  { name: "raftmongo 5s T3 L4 W2: find NeverRollbackCommitted", args: ["raftmongo", "--servers", "5", "--max-term", "3", "--max-log-len", "4", "--max-client-write-size", "2", "--simulate", "--runs", "1000000", "--depth", "60"] },
  { name: "the same, 2 workers", args: ["raftmongo", "--servers", "5", "--max-term", "3", "--max-log-len", "4", "--max-client-write-size", "2", "--simulate", "--runs", "1000000", "--depth", "60", "--workers", "2"] },
  { name: "the same by exhaustive search, 2 workers", args: ["raftmongo", "--servers", "5", "--max-term", "3", "--max-log-len", "4", "--max-client-write-size", "2", "--symmetry", "--workers", "2"] }
]

console.log(`replcheck simulation bench, ${new Date().toISOString()}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`)
console.log("case                                                   | verdict   | runs    | steps      | generated   | seconds | runs/s  | steps/s  | peak RSS MiB")
for (const c of cases) {
  const r = spawnSync(process.execPath, [bin, "check", ...c.args, "--json", "--out", out], { encoding: "utf8", maxBuffer: 1 << 26 })
  if (r.status !== 0 && r.status !== 1) throw new Error(`replcheck check ${c.args.join(" ")} failed (${r.status}): ${r.stderr}`)
  const j = JSON.parse(r.stdout)
  // A simulation's counterexample as walked and shortened; the search's is the shortest.
  const verdict = j.violation ? `${j.violation.invariant} (${j.violation.shortenedLength ? `${j.violation.length} -> ${j.violation.shortenedLength}` : j.violation.length} states)` : j.verdict
  const runs = j.walked ?? "-"
  const steps = j.steps ?? j.distinct
  const rss = j.peakRssBytes ? (j.peakRssBytes / 2 ** 20).toFixed(0) : "-"
  console.log(
    `${c.name.padEnd(54)} | ${String(verdict).padEnd(9)} | ${String(runs).padStart(7)} | ${String(steps).padStart(10)} | ${String(j.generated).padStart(11)} | ${j.seconds.toFixed(1).padStart(7)} | ${String(j.runsPerSecond ?? "-").padStart(7)} | ${String(j.stepsPerSecond ?? j.statesPerSecond).padStart(8)} | ${rss}`
  )
}
