/**
 * `npm run mutants`: a mutation check. Each mutant is one planted bug (a text replacement in one
 * source file) in the engine, the trace layer or a reference implementation, with the tests meant
 * to catch it. The script copies the repository's tracked files to a scratch folder (node_modules
 * linked), and for each mutant applies it, rebuilds, runs those tests and restores the file. A
 * mutant is killed when the tests fail; the score and every survivor are printed (a survivor
 * needs a new test, or a note that it is equivalent). Results go in bench/RESULTS.md.
 *
 *   npm run mutants [-- --only ID-OR-PREFIX]     (e.g. --only cdc- runs the cdc mutants)
 */
import { execFileSync, spawnSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

interface Mutant {
  readonly id: string
  readonly file: string
  readonly find: string
  readonly replace: string
  /** vitest arguments: test files, and a -t filter where the file is long. */
  readonly tests: readonly string[]
}

const mutants: readonly Mutant[] = [
  {
    id: "parallel-first-edge-wins",
    file: "model/engine/level-worker.ts",
    find: "  private lowerEdge(p: number): void {\n",
    replace: "  private lowerEdge(p: number): void {\n    if (p >= 0) return\n",
    tests: ["test/protocols/verdicts.test.ts", "-t", "3 workers"]
  },
  {
    id: "sequential-first-edge-wins",
    file: "model/engine/bfs.ts",
    find: "if ((compareFingerprints(this.parentHi, this.parentLo, m[b + 2]!, m[b + 3]!) || this.ordinal - m[b + 4]!) < 0) {",
    replace: "if ((compareFingerprints(this.parentHi, this.parentLo, m[b + 2]!, m[b + 3]!) || this.ordinal - m[b + 4]!) < -1e308) {",
    tests: ["test/engine", "test/protocols/verdicts.test.ts", "-t", "sequential"]
  },
  {
    id: "validate-accepts-proto-keys",
    file: "model/trace/validate.ts",
    find: `if (text.includes('"__proto__"') && hasProtoKey(json))`,
    replace: `if (text.includes('"__proto__"') && hasProtoKey(json) && text.length < 0)`,
    tests: ["test/cli/cli.test.ts"]
  },
  {
    id: "itf-ignores-extra-variables",
    file: "model/trace/validate.ts",
    find: `{ onExcessProperty: "error" }`,
    replace: `{ onExcessProperty: "ignore" }`,
    tests: ["test/cli/cli.test.ts"]
  },
  {
    id: "conform-drops-unsolicited-lines",
    file: "model/trace/conform.ts",
    find: "    else fail(new AdapterFailed(`the adapter wrote a line that answers no request",
    replace: "    else if (w) fail(new AdapterFailed(`the adapter wrote a line that answers no request",
    tests: ["test/trace/adapter-link.test.ts"]
  },
  {
    id: "conform-signals-only-the-shell",
    file: "model/trace/conform.ts",
    find: "if (child.pid !== undefined) process.kill(-child.pid, signal)",
    replace: "if (child.pid !== undefined) process.kill(child.pid, signal)",
    tests: ["test/trace/adapter-link.test.ts"]
  },
  {
    id: "durable-write-without-fsync",
    file: "impl/rollback/file-transport.ts",
    find: '    failpoint("before-fsync")\n    ops.fsyncSync(fd)\n',
    replace: '    failpoint("before-fsync")\n',
    tests: ["test/impl"]
  },
  {
    id: "durable-write-without-directory-fsync",
    file: "impl/rollback/file-transport.ts",
    find: "  ops.renameSync(tmp, path)\n  fsyncDir(join(path, \"..\"))\n",
    replace: "  ops.renameSync(tmp, path)\n",
    tests: ["test/impl"]
  },
  {
    id: "plan-check-fails-open",
    file: "impl/rollback/coordinator.ts",
    find: "return view !== null && view.primary === primary && view.term === term",
    replace: "return view === null || (view.primary === primary && view.term === term)",
    tests: ["test/impl/rollback"]
  },
  {
    id: "truncate-ignores-commit-point",
    file: "impl/rollback/transport.ts",
    find: "if (node.commitPoint > target) return yield* new CommitPointMoved",
    replace: "if (node.commitPoint > 1e9) return yield* new CommitPointMoved",
    tests: ["test/impl/rollback", "test/impl/cluster"]
  },
  {
    id: "resume-announces-kept-entries",
    file: "impl/rollback/coordinator.ts",
    find: "const lost = owed.removed.filter((e) => !holds(log, e))",
    replace: "const lost = owed.removed.filter((e) => !holds(log, e) || e.lsn > 0)",
    tests: ["test/impl/rollback", "test/impl/cluster"]
  },
  {
    id: "sidecar-rollback-restores-tables-that-did-not-move",
    file: "impl/sidecar/sweep.ts",
    find: "const moved = r.tables.filter((t) => head(now, t) !== read.pins[t])",
    replace: "const moved = [...r.tables]",
    tests: ["test/impl/sidecar"]
  },
  {
    id: "sidecar-classify-ignores-lineage",
    file: "impl/sidecar/sweep.ts",
    find: 'if (s.manifest.rolledBack.includes(r.op)) return "DoneBack"',
    replace: "",
    tests: ["test/impl/sidecar"]
  },
  {
    id: "sidecar-writer-skips-barrier",
    file: "impl/sidecar/cluster.ts",
    find: "if (deadSidecars.every((r) => r.op === op) && subsets.length > 0)",
    replace: "if (subsets.length > 0)",
    tests: ["test/impl/sidecar"]
  },
  {
    id: "recovery-install-reuses-the-generation",
    file: "impl/recovery/file-storage.ts",
    find: "const next = sb.generation + 1",
    replace: "const next = sb.generation",
    tests: ["test/impl/recovery/crash.test.ts", "test/impl/recovery/storage.test.ts"]
  },
  {
    id: "recovery-recycle-deletes-before-writing-the-extent",
    file: "impl/recovery/file-storage.ts",
    find: "writeDurably(extentPath(sb.generation), JSON.stringify(entries.slice(0, upTo))",
    replace: "deleteSegments(sb.generation, (start) => start + SEGMENT - 1 > upTo), writeDurably(extentPath(sb.generation), JSON.stringify(entries.slice(0, upTo))",
    tests: ["test/impl/recovery/crash.test.ts", "test/impl/recovery/storage.test.ts"]
  },
  {
    id: "recovery-replica-ignores-fencing",
    file: "impl/recovery/replica.ts",
    find: "!isReplica() || i.epoch > epoch",
    replace: "!isReplica()",
    tests: ["test/impl/recovery"]
  },
  {
    id: "recovery-gc-passes-snapshot-pins",
    file: "impl/recovery/storage.ts",
    find: 'if (pin.kind !== "fullBase" && pin.lsn < f) f = pin.lsn',
    replace: 'if (pin.kind === "wal" && pin.lsn < f) f = pin.lsn',
    tests: ["test/impl/recovery"]
  },
  {
    id: "recovery-complete-at-the-planned-target",
    file: "impl/recovery/driver.ts",
    find: "if (session.progress === this.goal(session)) {",
    replace: "if (session.progress >= session.target) {",
    tests: ["test/impl/recovery/cluster.test.ts"]
  },
  {
    id: "recovery-classify-from-lsns-alone",
    file: "impl/recovery/types.ts",
    find: "if (checked > 0 && history.epochAt(checked) !== report.epochAtCheck) return \"NeedsRebuild\"",
    replace: "if (checked < 0) return \"NeedsRebuild\"",
    tests: ["test/impl/recovery"]
  },
  {
    id: "cdc-restart-keeps-the-sink-past-the-checkpoint",
    file: "impl/cdc/consumer.ts",
    find: "if (consumer.truncates && sink.some((m) => m.seqno > checkpoint.seqno))",
    replace: "if (consumer.truncates && sink.length < 0)",
    tests: ["test/impl/cdc"]
  },
  {
    id: "cdc-rollback-keeps-the-sink",
    file: "impl/cdc/consumer.ts",
    find: "sink: image.sink.filter((x) => x.seqno <= to) })",
    replace: "sink: image.sink.filter((x) => x.seqno <= to || x.seqno > 0) })",
    tests: ["test/impl/cdc"]
  },
  {
    id: "cdc-reconnect-keeps-the-unapplied-mutation",
    file: "impl/cdc/consumer.ts",
    find: "if (this.rules.dropUnappliedOnReconnect) this.received = null",
    replace: "if (this.rules.dropUnappliedOnReconnect && request.start < 0) this.received = null",
    tests: ["test/impl/cdc"]
  },
  {
    id: "cdc-mitigation-view-for-any-branch",
    file: "impl/cdc/consumer.ts",
    find: "(!this.rules.viewPerBranch || this.persistViewBranch === stream.vbuuid)",
    replace: "(!this.rules.viewPerBranch || stream.vbuuid !== 0n)",
    tests: ["test/impl/cdc"]
  },
  {
    id: "cdc-mitigation-skips-a-down-copy",
    file: "impl/cdc/consumer.ts",
    find: "if (Either.isLeft(o)) return null",
    replace: "if (Either.isLeft(o)) continue",
    tests: ["test/impl/cdc"]
  },
  {
    id: "cdc-producer-ignores-the-snapshot-range",
    file: "impl/cdc/producer.ts",
    find: "if (r.start === snapStart) snapEnd = r.start",
    replace: "snapEnd = r.start",
    tests: ["test/impl/cdc"]
  },
  {
    id: "cdc-producer-resumes-an-unknown-branch",
    file: "impl/cdc/producer.ts",
    find: "  if (upper < 0) return 0\n  let snapStart",
    replace: "  if (upper < 0) return RESUME\n  let snapStart",
    tests: ["test/impl/cdc"]
  },
  {
    id: "cdc-store-written-in-place",
    file: "impl/cdc/file-store.ts",
    find: "writeDurably(join(dir, STORE_FILE), storeText(image), (at) => failpoint(at))",
    // The durable write's helper and failpoint stay referenced, so that the mutant compiles.
    replace: 'void [writeDurably, failpoint]; const o = fileOps(), fd = o.openSync(join(dir, STORE_FILE), "w"); o.writeSync(fd, storeText(image)); o.fsyncSync(fd); o.closeSync(fd)',
    tests: ["test/impl/cdc"]
  }
]

const root = fileURLToPath(new URL("../..", import.meta.url))
const argv = process.argv.slice(2)
const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined
const chosen = mutants.filter((m) => only === undefined || m.id.startsWith(only))
if (chosen.length === 0) throw new Error(`no mutant id starts with ${only}`)

const scratch = mkdtempSync(join(tmpdir(), "replcheck-mutants-"))
const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter((f) => f !== "")
for (const f of tracked) {
  mkdirSync(dirname(join(scratch, f)), { recursive: true })
  copyFileSync(join(root, f), join(scratch, f))
}
symlinkSync(join(root, "node_modules"), join(scratch, "node_modules"))
const sh = (cmd: string, args: readonly string[]) => spawnSync(cmd, args, { cwd: scratch, encoding: "utf8" })
if (sh("npx", ["tsc", "-p", "tsconfig.build.json"]).status !== 0) throw new Error("the unmutated copy does not build")

const rows: Array<{ id: string; result: string; seconds: number }> = []
for (const m of chosen) {
  const path = join(scratch, m.file)
  const original = readFileSync(path, "utf8")
  if (!original.includes(m.find)) throw new Error(`mutant ${m.id}: ${m.file} no longer contains its text; update the mutant`)
  const started = performance.now()
  writeFileSync(path, original.replace(m.find, m.replace))
  let result: string
  if (sh("npx", ["tsc", "-p", "tsconfig.build.json"]).status !== 0) result = "killed (does not compile)"
  else result = sh("npx", ["vitest", "run", ...m.tests]).status === 0 ? "SURVIVED" : "killed"
  writeFileSync(path, original)
  rows.push({ id: m.id, result, seconds: (performance.now() - started) / 1000 })
  console.log(`${m.id.padEnd(50)} ${result.padEnd(26)} ${rows[rows.length - 1]!.seconds.toFixed(0)} s`)
}
sh("npx", ["tsc", "-p", "tsconfig.build.json"])
rmSync(scratch, { recursive: true, force: true })
const killed = rows.filter((r) => r.result.startsWith("killed")).length
console.log(`score: ${killed} of ${rows.length} mutants killed${rows.some((r) => r.result === "SURVIVED") ? `; survivors: ${rows.filter((r) => r.result === "SURVIVED").map((r) => r.id).join(", ")}` : ""}`)
