/**
 * `npm run bench:profile`: where a parallel search's time goes (issue 15, part 1). Runs one
 * built-in protocol's exhaustive search on 1, 2, ... worker threads (1 on the parallel driver
 * too, so that it pays the same phases) and prints, per worker count, the search's wall time and
 * rate, then each kind of phase (seed: the initial states, worker start-up included; expand;
 * finish; rehash): how many, its wall time and share of the search, the share of
 * the workers' time spent working in it, how much of the rest is imbalance (workers done, waiting
 * for the busiest) and how much is messaging (the busiest worker done, the coordinator not yet
 * told), and the growth pauses and collections in which every worker waits.
 *
 *   npm run bench:profile [-- <protocol> [bound=N ...] [--workers 1,2,4] [--repeat N]]
 *
 * Defaults: rollback at its defaults (3,957,319 states) on 1 and 2 workers, 3 repeats each
 * (the fastest is shown).
 */
import { cpus } from "node:os"
import { Effect } from "effect"
import { WorkerThreads } from "../model/engine/parallel.js"
import { runSearch } from "../model/engine/run.js"
import type { PhaseTimes, SearchProfile } from "../model/engine/search-types.js"
import { BASE_VARIANT } from "../model/kit/index.js"
import { builtInProtocols } from "../model/protocols/index.js"
import { workerScript } from "../model/protocols/load.js"

const argv = process.argv.slice(2)
const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined)
const positional = argv.filter((a, k) => !a.startsWith("--") && !argv[k - 1]?.startsWith("--"))
const protocolName = positional.find((a) => !a.includes("=")) ?? "rollback"
const protocol = builtInProtocols.find((p) => p.name === protocolName)
if (protocol === undefined) throw new Error(`unknown protocol ${protocolName}`)
const config: Record<string, number> = { ...protocol.defaults }
for (const a of positional.filter((x) => x.includes("="))) {
  const [k, v] = a.split("=")
  if (!(k! in protocol.bounds)) throw new Error(`${k} is not a bound of ${protocol.name}`)
  config[k!] = Number(v)
}
const workerCounts = (flag("--workers") ?? "1,2").split(",").map(Number)
const repeat = Number(flag("--repeat") ?? 3)

const model = protocol.build(config, BASE_VARIANT)
const ref = { protocol: protocol.name, variant: BASE_VARIANT, config, symmetry: false }

async function once(workers: number) {
  let profile: SearchProfile | undefined
  const result = await Effect.runPromise(
    runSearch(workerScript, ref, model, { workers, isolate: true, symmetry: false, deadlock: false, invariants: undefined, onProfile: (p) => (profile = p) }).pipe(Effect.provide(WorkerThreads.layer))
  )
  return { result, profile: profile! }
}

const pct = (part: number, whole: number) => `${whole > 0 ? ((100 * part) / whole).toFixed(1) : "0.0"}%`
const s = (ms: number) => (ms / 1000).toFixed(2)

function phaseRow(name: string, t: PhaseTimes, W: number, searchMs: number): string {
  const workerMs = W * t.wallMs
  // Of the workers' time in these phases: working, waiting for the busiest, and waiting for the reply to arrive.
  const imbalance = W * t.maxBusyMs - t.busyMs
  const messaging = W * (t.wallMs - t.maxBusyMs)
  return [name.padEnd(8), String(t.calls).padStart(6), s(t.wallMs).padStart(8), pct(t.wallMs, searchMs).padStart(7), pct(t.busyMs, workerMs).padStart(8), pct(imbalance, workerMs).padStart(10), pct(messaging, workerMs).padStart(10)].join("  ")
}

console.log(`replcheck parallel profile, ${new Date().toISOString()}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`)
console.log(`${protocol.name} ${Object.entries(config).map(([k, v]) => `${k}=${v}`).join(" ")}, fastest of ${repeat}`)
let baseline: number | undefined
for (const W of workerCounts) {
  let best: Awaited<ReturnType<typeof once>> | undefined
  for (let r = 0; r < repeat; r++) {
    const run = await once(W)
    if (best === undefined || run.result.seconds < best.result.seconds) best = run
  }
  const { result, profile: p } = best!
  const searchMs = result.seconds * 1000
  baseline ??= result.seconds
  console.log("")
  console.log(
    `${W} worker${W === 1 ? "" : "s"}: ${result.distinct.toLocaleString("en-US")} distinct, ${result.generated.toLocaleString("en-US")} generated, ` +
      `${result.seconds.toFixed(2)} s, ${(result.generated / result.seconds / 1e6).toFixed(2)}M generated/s, speed-up ${(baseline / result.seconds).toFixed(2)}x, ${p.levels} levels`
  )
  console.log(`phase      calls    wall s  search  working  imbalance  messaging`)
  console.log(phaseRow("seed", p.seed, W, searchMs))
  console.log(phaseRow("expand", p.expand, W, searchMs))
  console.log(phaseRow("finish", p.finish, W, searchMs))
  console.log(phaseRow("rehash", p.rehash, W, searchMs))
  const accounted = p.seed.wallMs + p.expand.wallMs + p.finish.wallMs + p.rehash.wallMs + p.growMs + p.collectMs
  console.log(`growth pauses ${p.pauses}: ${s(p.growMs)} s (${pct(p.growMs, searchMs)}); collections ${s(p.collectMs)} s (${pct(p.collectMs, searchMs)}); coordinator between phases ${s(searchMs - accounted)} s (${pct(searchMs - accounted, searchMs)})`)
}
