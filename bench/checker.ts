/**
 * `npm run bench`: raftmongo at MongoDB's bounds with 1 and 2 workers, with and without symmetry,
 * the 5-server counterexample search, the rollback model at its defaults (1 and 2 workers)
 * and at 5 servers with symmetry, the sidecar model at 3 writers and at 4 with symmetry, and the
 * recovery model at maxLsn 3 with maxEpoch 3 and at 2 replicas, and the cdc model at maxSeqno 3
 * and at 2 replicas. Each run is a fresh `replcheck check --json` process, so
 * wall time includes start-up and peak RSS is that run's own. Prints one row per run (the median
 * of `--repeat` runs) and the 2-worker speed-ups.
 *
 *   npm run bench [-- --repeat N] [-- --only NAME]
 */
import { spawnSync } from "node:child_process"
import { cpus } from "node:os"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../../bin/replcheck.js", import.meta.url))
const MONGO = ["--servers", "3", "--max-term", "3", "--max-log-len", "3", "--max-client-write-size", "2"]
const FIVE = ["--servers", "5", "--max-term", "3", "--max-log-len", "4", "--symmetry", "--invariant", "NeverRollbackCommitted"]

const runs = [
  { name: "mongodb-bounds w1", args: ["raftmongo", ...MONGO, "--workers", "1"] },
  { name: "mongodb-bounds w2", args: ["raftmongo", ...MONGO, "--workers", "2"] },
  { name: "mongodb-bounds sym w1", args: ["raftmongo", ...MONGO, "--symmetry", "--workers", "1"] },
  { name: "mongodb-bounds sym w2", args: ["raftmongo", ...MONGO, "--symmetry", "--workers", "2"] },
  { name: "five-servers sym w1", args: ["raftmongo", ...FIVE, "--workers", "1"], once: true },
  { name: "five-servers sym w2", args: ["raftmongo", ...FIVE, "--workers", "2"], once: true },
  { name: "rollback defaults w1", args: ["rollback", "--workers", "1"] },
  { name: "rollback defaults w2", args: ["rollback", "--workers", "2"] },
  { name: "rollback five-servers sym w2", args: ["rollback", "--servers", "5", "--max-term", "2", "--max-log-len", "1", "--symmetry", "--workers", "2"], once: true },
  { name: "sidecar 3-writers w2", args: ["sidecar", "--writers", "3", "--workers", "2"] },
  { name: "sidecar 4-writers sym w2", args: ["sidecar", "--writers", "4", "--symmetry", "--workers", "2"], once: true },
  { name: "recovery lsn3 epoch3 w1", args: ["recovery", "--max-lsn", "3", "--max-epoch", "3", "--workers", "1"] },
  { name: "recovery lsn3 epoch3 w2", args: ["recovery", "--max-lsn", "3", "--max-epoch", "3", "--workers", "2"] },
  { name: "recovery 2-replicas w2", args: ["recovery", "--replicas", "2", "--workers", "2"], once: true },
  { name: "cdc seqno3 w1", args: ["cdc", "--max-seqno", "3", "--workers", "1"] },
  { name: "cdc seqno3 w2", args: ["cdc", "--max-seqno", "3", "--workers", "2"] },
  { name: "cdc 2-replicas w2", args: ["cdc", "--replicas", "2", "--workers", "2"], once: true }
]

const argv = process.argv.slice(2)
const repeat = Number(argv[argv.indexOf("--repeat") + 1] ?? 3) || 3
const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined

interface Row {
  name: string
  distinct: number
  generated: number
  depth: number
  verdict: string
  wall: number
  search: number
  rate: number
  rssMiB: number
  seenBytesPerState: number
}

function once(args: string[]): Row & { name: string } {
  const started = performance.now()
  const r = spawnSync(process.execPath, [bin, "check", ...args, "--json", "--out", "traces/out/bench"], { encoding: "utf8" })
  const wall = (performance.now() - started) / 1000
  if (r.status !== 0 && r.status !== 1) throw new Error(`replcheck failed (${r.status}): ${r.stderr}`)
  const j = JSON.parse(r.stdout)
  return {
    name: "",
    distinct: j.distinct,
    generated: j.generated,
    depth: j.depth,
    verdict: j.violation ? `${j.violation.invariant} (${j.violation.length} states)` : j.complete ? "ok" : "incomplete",
    wall,
    search: j.seconds,
    rate: j.generated / j.seconds,
    rssMiB: j.peakRssBytes / 2 ** 20,
    seenBytesPerState: j.seenSetBytesPerState
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US")
console.log(`replcheck bench, ${new Date().toISOString()}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, median of ${repeat}`)
console.log("run                     | distinct  | generated  | depth | verdict                           | wall s | search s | states/s   | peak RSS MiB | seen B/state")
const rows: Row[] = []
for (const run of runs) {
  if (only && !run.name.includes(only)) continue
  const samples = Array.from({ length: run.once ? 1 : repeat }, () => once(run.args))
  samples.sort((a, b) => a.wall - b.wall)
  const row = { ...samples[Math.floor(samples.length / 2)]!, name: run.name }
  rows.push(row)
  console.log(
    [
      row.name.padEnd(23),
      fmt(row.distinct).padStart(9),
      fmt(row.generated).padStart(10),
      String(row.depth).padStart(5),
      row.verdict.padEnd(33),
      row.wall.toFixed(2).padStart(6),
      row.search.toFixed(2).padStart(8),
      fmt(row.rate).padStart(10),
      row.rssMiB.toFixed(0).padStart(12),
      row.seenBytesPerState.toFixed(1).padStart(12)
    ].join(" | ")
  )
}
for (const base of ["mongodb-bounds", "mongodb-bounds sym", "five-servers sym", "rollback defaults", "recovery lsn3 epoch3", "cdc seqno3"]) {
  const one = rows.find((r) => r.name === `${base} w1`)
  const two = rows.find((r) => r.name === `${base} w2`)
  if (one && two) {
    console.log(`speed-up of 2 workers, ${base}: wall ${(one.wall / two.wall).toFixed(2)}x, search ${(one.search / two.search).toFixed(2)}x`)
  }
}
