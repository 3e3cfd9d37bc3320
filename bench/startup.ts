/**
 * `npm run bench:startup`: how long `replcheck` takes from the shell to its answer for the
 * commands that must start fast (help, --version, list, validate), beside `node -e 0` (Node's own
 * start-up, which no command can go below). Each command runs `--runs` times (default 21) in a
 * fresh process, in turn with the others; the table gives the median and the slowest wall time.
 * The validated traces are small (tens of events), so the time is start-up, not validation.
 *
 *   npm run bench:startup [-- --runs N]
 */
import { spawnSync } from "node:child_process"
import { cpus } from "node:os"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../../bin/replcheck.js", import.meta.url))
const argv = process.argv.slice(2)
const runs = Number(argv[argv.indexOf("--runs") + 1] ?? 21) || 21

const commands: Array<{ readonly name: string; readonly args: readonly string[]; readonly status: number }> = [
  { name: "node -e 0", args: [], status: 0 },
  { name: "help", args: ["help"], status: 0 },
  { name: "--version", args: ["--version"], status: 0 },
  { name: "list", args: ["list"], status: 0 },
  { name: "list --json", args: ["list", "--json"], status: 0 },
  { name: "validate (NDJSON, 40 events)", args: ["validate", "rollback", "traces/rollback/conformance/valid/full-rollback.ndjson"], status: 0 },
  { name: "validate (NDJSON, rejected)", args: ["validate", "rollback", "traces/rollback/conformance/invalid/recover-without-persist.ndjson"], status: 1 },
  { name: "validate (ITF, 22 states)", args: ["validate", "rollback", "traces/rollback/check-then-truncate.itf.json"], status: 1 },
  {
    // The corpus as it was when this was first measured: the invalid directory and the four short valid traces.
    name: "validate (8 traces)",
    args: ["validate", "rollback", "traces/rollback/conformance/invalid", ...["full-rollback", "node-observed", "unlogged-commit-point-learning", "unobserved"].map((t) => `traces/rollback/conformance/valid/${t}.ndjson`)],
    status: 1
  },
  { name: "check mutex (loads Effect)", args: ["check", "mutex"], status: 0 }
]

const times = new Map<string, number[]>(commands.map((c) => [c.name, []]))
for (let k = 0; k < runs; k++) {
  for (const c of commands) {
    const started = process.hrtime.bigint()
    const r = c.args.length === 0 ? spawnSync(process.execPath, ["-e", "0"]) : spawnSync(process.execPath, [bin, ...c.args], { encoding: "utf8" })
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    if (r.status !== c.status) throw new Error(`${c.name}: exit ${r.status}, expected ${c.status}: ${String(r.stderr)}`)
    times.get(c.name)!.push(ms)
  }
}

console.log(`replcheck start-up bench, ${new Date().toISOString()}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, ${runs} runs each`)
console.log("command                            | median ms | slowest ms")
for (const c of commands) {
  const t = times.get(c.name)!.sort((a, b) => a - b)
  console.log(`${c.name.padEnd(34)} | ${t[Math.floor(t.length / 2)]!.toFixed(0).padStart(9)} | ${t[t.length - 1]!.toFixed(0).padStart(10)}`)
}
