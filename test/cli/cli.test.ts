/** The replcheck command as a user runs it (the compiled bin, in a child process). */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative } from "node:path"
import { Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { CheckReport } from "../../model/cli/check-report.js"
import { COMMANDS } from "../../model/cli/commands.js"
import { SimulationReport } from "../../model/cli/simulation.js"
import { builtInProtocols } from "../../model/protocols/index.js"
import { run } from "../support/cli.js"

/** Trace files with something a reader could silently ignore: each must be bad input. */
const badDir = mkdtempSync(join(tmpdir(), "replcheck-bad-"))
afterAll(() => rmSync(badDir, { recursive: true, force: true }))
function badTraces(): Array<[string[], RegExp]> {
  const dir = badDir
  const committed = JSON.parse(readFileSync(join(import.meta.dirname, "../../traces/rollback/elect-without-majority.itf.json"), "utf8"))
  const write = (name: string, change: (d: { "#meta": { config: Record<string, unknown> }; states: Array<Record<string, unknown>> }) => void) => {
    const d = structuredClone(committed)
    change(d)
    writeFileSync(join(dir, name), JSON.stringify(d))
    return join(dir, name)
  }
  const unknownBound = write("unknown-bound.itf.json", (d) => void (d["#meta"].config["maxTerms"] = 3))
  const extraVariable = write("extra-variable.itf.json", (d) => void (d.states[1]!["extra"] = { "#bigint": "1" }))
  const lines = readFileSync(join(import.meta.dirname, "../../traces/rollback/conformance/valid/full-rollback.ndjson"), "utf8").split("\n")
  const proto = join(dir, "proto.ndjson")
  writeFileSync(proto, [lines[0], lines[1]!.replace('"args":{', '"args":{"__proto__":{"polluted":true},')].join("\n") + "\n")
  // An observed value no state can hold: a negative index.
  const outOfRange = join(dir, "out-of-range.ndjson")
  writeFileSync(outOfRange, [lines[0], lines[1]!.replace('"commitPoint":{"term":0,"index":0}', '"commitPoint":{"term":0,"index":-1}')].join("\n") + "\n")
  const unknownArgument = join(dir, "unknown-argument.ndjson")
  writeFileSync(unknownArgument, [lines[0], lines[1]!.replace('"args":{', '"args":{"voters":[1,2],')].join("\n") + "\n")
  return [
    [["validate", "rollback", unknownBound], /unknown-bound\.itf\.json:1: #meta\.config\.maxTerms: not a bound of rollback/],
    [["validate", "rollback", extraVariable], /extra-variable\.itf\.json:1: states\[1\]\.extra: is unexpected/],
    [["validate", "rollback", proto], /proto\.ndjson:2: __proto__: the key "__proto__" is not allowed/],
    // Was an observation that disagrees (exit 1), as if the model might have taken -1.
    [["validate", "rollback", outOfRange], /out-of-range\.ndjson:2: observed\.commitPoint\.index: -1 is not an integer 0\.\.2\^53-1/],
    // Was "its guard fails" (exit 1), as if the step were not enabled.
    [["validate", "rollback", unknownArgument], /unknown-argument\.ndjson:2: args\.voters: not an argument of BecomePrimaryByMagic \(its arguments: i, ayeVoters\)/]
  ]
}

describe("bad usage exits 2 with one line and no stack trace", () => {
  it.each([
    [["frobnicate"], /unknown command "frobnicate"/],
    [["check"], /check needs a protocol/],
    [["check", "nosuch"], /unknown protocol "nosuch"/],
    [["check", "raftmongo", "--servers", "0"], /--servers: expected an integer between 1 and 7, got 0/],
    [["check", "raftmongo", "--max-term", "99"], /--max-term: expected an integer between 1 and 15, got 99/],
    [["check", "raftmongo", "--max-log-len", "two"], /--max-log-len: expected an integer, got "two"/],
    [["check", "raftmongo", "--servers"], /--servers needs a value/],
    [["validate", "rollback", "x.ndjson", "--variant", "nope"], /unknown variant "nope" of rollback \(known: base, /],
    [["describe", "rollback", "--variant", "nope"], /unknown variant "nope" of rollback \(known: base, /],
    [["cluster", "rollback", "--elections", "both"], /--elections: expected magic, raft; got "both"/],
    [["check", "raftmongo", "--workers", "0"], /--workers: expected an integer between 1 and 64, got 0/],
    [["check", "raftmongo", "--bogus"], /unknown flag --bogus for check raftmongo \(flags: --servers, .*-w, --workers, .*; see replcheck check --help\)/],
    [["check", "raftmongo", "-x"], /unknown flag -x for check raftmongo/],
    [["check", "raftmongo", "--json=yes"], /--json takes no value \(got "yes"\)/],
    [["check", "raftmongo", "--workers", "--json"], /--workers needs a value/],
    [["check", "raftmongo", "extra"], /check: unexpected argument "extra"/],
    [["explore", "a.itf.json", "b.itf.json"], /explore takes one <trace.itf.json>, not 2/],
    [["simulate", "raftmongo", "--observe", "all"], /--observe: expected full, node, none; got "all"/],
    [["check", "raftmongo", "--variant", "nope"], /unknown variant "nope" of raftmongo/],
    [["check", "raftmongo", "--invariant", "Nope"], /unknown invariant Nope/],
    [["check", "counter", "--symmetry"], /counter declares no symmetry/],
    [["verdicts", "nosuch"], /unknown protocol "nosuch" \(known: rollback, .*; or the path of a model module\)/],
    [["check", "./no/such/model.ts"], /\.\/no\/such\/model\.ts: no such file/],
    [["verdicts", "rollback", "--traces"], /--traces needs a directory/],
    [["cluster", "raftmongo"], /raftmongo has no reference implementation to run \(protocols with one: rollback, sidecar, recovery, cdc\)/],
    [["cluster", "recovery", "--bugs", "fire"], /--bugs: unknown bug "fire" \(lsn-only-handshake, /],
    [["cluster", "recovery", "--max-lsn", "7"], /--max-lsn: expected an integer between 1 and 6, got 7/],
    [["cluster", "sidecar", "--bugs", "fire"], /--bugs: unknown bug "fire" \(cas-mismatch-fails-open, /],
    [["cluster", "sidecar", "--writers", "5"], /--writers: expected an integer between 1 and 4, got 5/],
    [["cluster", "sidecar", "--nodes", "3"], /unknown flag --nodes for cluster sidecar/],
    [["cluster", "sidecar", "--store-dir", ""], /--store-dir needs a directory/],
    [["check", "counter", "--runs", "5"], /--runs, --depth and --seed go with --simulate/],
    [["conform", "counter", "--adapter", "true", "--guided"], /--guided steers --random runs; give --random too/],
    [["check", "counter", "--memory", "lots"], /--memory: expected a size such as 512m or 4g, got "lots"/],
    [["check", "counter", "--memory", "10k"], /--memory: expected at least 1m, got 10k/],
    [["check", "counter", "--simulate", "--max-states", "9"], /--max-states and --memory are for the exhaustive search, not --simulate/],
    [["check", "counter", "--simulate", "--depth", "0"], /--depth: expected an integer between 1 and /],
    [["cluster", "rollback", "--faults", "fire"], /--faults: unknown fault "fire"/],
    [["cluster", "rollback", "--nodes", "9"], /--nodes: expected an integer between 2 and 7, got 9/],
    // A flag given twice would lose one of its values.
    [["check", "counter", "--workers", "1", "--workers", "2"], /--workers is given more than once/],
    [["simulate", "rollback", "--seed", "1", "--steps", "3", "--seed", "2"], /--seed is given more than once/],
    [["verdicts", "--json", "--json"], /--json is given more than once/],
    ...badTraces()
  ])("%j", (args, message) => {
    const r = run(...args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(message)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})

describe("conventions", () => {
  it("--version prints the package's version", () => {
    const version = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")).version
    for (const flag of ["--version", "version"]) expect(run(flag)).toEqual({ code: 0, stdout: `replcheck ${version}\n`, stderr: "" })
  })
  it("<command> --help prints that command's usage, written from its declaration", () => {
    const r = run("simulate", "--help")
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^usage: replcheck simulate <protocol> \[bound flags\] \[flags\]\n/)
    expect(r.stdout).not.toMatch(/replcheck check/)
    // Every flag the parser takes is in the help, with its value's name and its short form.
    for (const c of COMMANDS) {
      const help = run(c.name, "--help").stdout
      for (const [name, f] of Object.entries(c.flags)) {
        const value = f.kind === "switch" ? "" : ` ${f.value}`
        expect(help, `${c.name} --${name}`).toContain(`  ${"short" in f && f.short ? `-${f.short}, ` : ""}--${name}${value} `)
      }
      for (const line of help.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100)
    }
    expect(run("check", "rollback", "-h").stdout).toMatch(/^usage: replcheck check <protocol>/)
  })
  it("<command> <protocol> --help lists the protocol's bound flags, or its implementation's", () => {
    const check = run("check", "rollback", "--help").stdout
    expect(check).toMatch(/\nbound flags of rollback:\n {2}--servers N +number of servers[^\n]*; 1\.\.7 \(default 3\)\n/)
    expect(check).toMatch(/\n {2}--max-client-write-size N /)
    const cluster = run("cluster", "sidecar", "--help").stdout
    expect(cluster).toMatch(/\nflags of sidecar's reference implementation:\n/)
    expect(cluster).toMatch(/\n {2}--bugs LIST +planted bugs/)
    expect(run("check", "--help").stdout).toMatch(/\nbound flags: the protocol's bounds \(replcheck check <protocol> --help lists them\)\n/)
  })
  it("help, <command> --help, --version and list are answered before Effect loads, and say what the full CLI says", () => {
    // bin/replcheck.js answers these through dist/model/cli/fast.js, whose static imports reach
    // node built-ins and the declarations only (the protocols load when one is named, Effect never).
    const dist = join(import.meta.dirname, "../../dist/model/cli")
    const reached = new Set<string>()
    const walk = (file: string) => {
      if (reached.has(file)) return
      reached.add(file)
      for (const m of readFileSync(join(dist, file), "utf8").matchAll(/^import .* from "([^"]+)"/gm)) {
        if (m[1]!.startsWith("node:")) reached.add(m[1]!)
        else walk(relative(dist, join(dirname(join(dist, file)), m[1]!)))
      }
    }
    walk("fast.js")
    expect([...reached].sort()).toEqual(["../engine/bounds.js", "../package-root.js", "commands.js", "fast.js", "help.js", "node:fs", "node:path", "node:url", "usage.js"])
    // list loads the protocol declarations and the implementations' catalog, still without Effect.
    reached.clear()
    walk("list.js")
    walk("../protocols/index.js")
    expect([...reached].filter((f) => !f.startsWith("../kit/") && !f.startsWith("../protocols/")).sort()).toEqual(["../../impl/catalog.js", "../engine/bounds.js", "commands.js", "list.js", "usage.js"])
    for (const f of reached) expect(readFileSync(join(dist, f), "utf8"), f).not.toMatch(/^import .* from "effect/m)
    const main = join(dist, "main.js")
    for (const args of [["help"], ["--version"], ["check", "--help"], ["check", "rollback", "--help"], ["cluster", "sidecar", "-h"], ["help", "validate"], ["list"], ["list", "--json"]]) {
      const full = spawnSync(process.execPath, [main, ...args], { encoding: "utf8" })
      expect(run(...args), args.join(" ")).toEqual({ code: 0, stdout: full.stdout, stderr: "" })
    }
  })
  it("validate runs without Effect (but for --window and --itf), and says what the full CLI says", () => {
    const dist = join(import.meta.dirname, "../../dist/model/cli")
    const reached = new Set<string>()
    const packages = new Set<string>()
    const walk = (file: string) => {
      if (reached.has(file)) return
      reached.add(file)
      for (const m of readFileSync(join(dist, file), "utf8").matchAll(/^import .* from "([^"]+)"/gm)) {
        if (m[1]!.startsWith("node:")) continue
        if (!m[1]!.startsWith(".")) packages.add(m[1]!)
        else walk(relative(dist, join(dirname(join(dist, file)), m[1]!)))
      }
    }
    // fast.ts imports these two when the command is validate; by-name.js loads the one protocol named.
    for (const f of ["fast.js", "args.js", "validate-command.js", "../protocols/index.js"]) walk(f)
    expect(reached).toContain("../trace/validate.js")
    expect(reached).toContain("../protocols/by-name.js")
    expect(reached).toContain("../protocols/rollback/index.js")
    expect([...packages]).toEqual([])
    // bin/replcheck.js runs the bundle of the same code (tools/bundle.mjs): its graph from
    // fast.js, all but the parts that load Effect on purpose (the ITF writer of --window and
    // --itf, the implementations for cluster --help), imports no package but esbuild (which
    // compiles a model given by path) and that one dynamically.
    const bundle = join(import.meta.dirname, "../../dist/fast")
    const inBundle = new Set<string>()
    const bundlePackages = new Set<string>()
    const follow = (file: string) => {
      if (inBundle.has(file) || /^(counterexample|impl)-/.test(file)) return
      inBundle.add(file)
      const text = readFileSync(join(bundle, file), "utf8")
      for (const m of text.matchAll(/^import[^"]*"([^"]+)"|import\("([^"]+)"\)/gm)) {
        const target = m[1] ?? m[2]!
        if (target.startsWith("./")) follow(target.slice(2))
        else if (!target.startsWith("node:") && m[1] !== undefined) bundlePackages.add(target)
      }
    }
    follow("fast.js")
    expect([...inBundle].some((f) => f.startsWith("validate-command-")) && [...inBundle].some((f) => f.startsWith("rollback-"))).toBe(true)
    expect([...bundlePackages]).toEqual([])
    const main = join(dist, "main.js")
    const dir = mkdtempSync(join(tmpdir(), "replcheck-fast-validate-"))
    writeFileSync(join(dir, "bad.ndjson"), '{"kind":"header","format":"replcheck-trace","version":1,"protocol":"mutex","config":{"processes":9},"nodes":[1]}\n')
    const cases = [
      ["validate", "rollback", "traces/rollback/conformance/valid/full-rollback.ndjson", "--json"],
      ["validate", "rollback", "traces/rollback/conformance/invalid"],
      ["validate", "rollback", "traces/rollback/check-then-truncate.itf.json"],
      ["validate", "mutex", join(dir, "bad.ndjson")],
      ["validate", "mutex", join(dir, "missing.ndjson")],
      ["validate", "nosuch", "x.ndjson"],
      ["validate", "mutex", "--internal-steps", "x", "x.ndjson"]
    ]
    const seconds = /\b[0-9]+\.[0-9]+ s\b|"seconds":[0-9.e-]+|"peakRssBytes":[0-9]+|[0-9,]+ events\/s/g
    for (const args of cases) {
      const full = spawnSync(process.execPath, [main, ...args], { encoding: "utf8" })
      const fast = run(...args)
      expect(fast.code, args.join(" ")).toBe(full.status)
      expect(fast.stdout.replace(seconds, "T"), args.join(" ")).toBe(full.stdout.replace(seconds, "T"))
      expect(fast.stderr, args.join(" ")).toBe(full.stderr)
    }
  })
  it("text counterexamples (search, simulation, liveness) and list fit 100 columns", () => {
    const out = mkdtempSync(join(tmpdir(), "replcheck-width-"))
    const reports = [
      // A long variant name makes the trace's header line long.
      run("check", "raftmongo", "--variant", "learn-commit-point-without-term-check", "-o", out),
      run("check", "mutex", "--variant", "no-lock", "--simulate", "-o", out),
      run("check", "mutex", "--processes", "3", "--variant", "weak-enter", "--liveness", "-o", out)
    ]
    reports.push(run("list"))
    const texts = readdirSync(out).filter((f) => f.endsWith(".txt")).map((f) => readFileSync(join(out, f), "utf8"))
    expect(reports.map((r) => r.code)).toEqual([1, 1, 1, 0])
    expect(texts).toHaveLength(3)
    // Only a word too long for any line (a file path in a deep temporary directory) may pass 100,
    // on a line of its own. The reports' own lines (the verdict, the trace files) stay whole, for grep.
    for (const text of [reports[3]!.stdout, ...texts]) {
      for (const line of text.split("\n")) if (line.trim().includes(" ")) expect(line.length, line).toBeLessThanOrEqual(100)
    }
  })
  it("--flag=value is --flag value", () => {
    const a = JSON.parse(run("check", "mutex", "--processes=3", "--workers=2", "--json").stdout)
    const b = JSON.parse(run("check", "mutex", "--processes", "3", "--workers", "2", "--json").stdout)
    expect([a.config, a.workers, a.distinct]).toEqual([b.config, b.workers, b.distinct])
    expect(a.config).toEqual({ processes: 3 })
  })
  it("short flags are their long ones: -w, -i, -o, -V", () => {
    const out = mkdtempSync(join(tmpdir(), "replcheck-short-"))
    const long = JSON.parse(run("check", "raftmongo", "--variant", "elect-without-majority", "--workers", "2", "--invariant", "NoTwoPrimariesInSameTerm", "--out", out, "--json").stdout)
    for (const short of [["-w", "2", "-i", "NoTwoPrimariesInSameTerm", "-o", out], ["-w2", "-i=NoTwoPrimariesInSameTerm", "-o", out]]) {
      const r = JSON.parse(run("check", "raftmongo", "--variant", "elect-without-majority", ...short, "--json").stdout)
      expect([r.workers, r.invariants, r.violation.traceFile, r.distinct]).toEqual([2, ["NoTwoPrimariesInSameTerm"], long.violation.traceFile, long.distinct])
      expect(r.violation.traceFile.startsWith(out)).toBe(true)
    }
    expect(run("-V").stdout).toBe(run("--version").stdout)
    // A short flag given with its long one is given twice.
    expect(run("check", "raftmongo", "-w", "2", "--workers", "1").stderr).toMatch(/--workers is given more than once/)
  })
})

describe("output that cannot be written", () => {
  it("a target that is a directory leaves no temporary file behind (exit 2)", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-out-"))
    const target = join(dir, "d")
    mkdirSync(target)
    const r = run("simulate", "rollback", "--steps", "3", "--out", target)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/cannot write .*\/d: EISDIR/)
    expect(readdirSync(dir)).toEqual(["d"])
  })
  it.each([
    ["under /proc (where Node's recursive mkdir never returns)", "/proc/1/nope", /cannot write to \/proc\/1\/nope: (ENOENT|EACCES|EPERM)/],
    ["a file", "FILE", /cannot write to .*plain: .*is not a directory/]
  ])("--out %s is refused before the search (exit 2)", (_, out, message) => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-out-"))
    const file = join(dir, "plain")
    writeFileSync(file, "")
    const r = run("check", "mutex", "--variant", "no-lock", "--out", out === "FILE" ? file : out)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe("")
    expect(r.stderr).toMatch(message)
  })
  it("a violation whose files cannot be written is still a violation (exit 1), and neither file is left", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-out-"))
    mkdirSync(join(dir, "mutex-no-lock-MutualExclusion.txt"))
    const r = run("check", "mutex", "--variant", "no-lock", "--out", dir)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/verdict: VIOLATION of MutualExclusion/)
    expect(r.stdout).toMatch(/trace: not written \(cannot write .*EISDIR/)
    expect(readdirSync(dir)).toEqual(["mutex-no-lock-MutualExclusion.txt"])
    const json = JSON.parse(run("check", "mutex", "--variant", "no-lock", "--out", dir, "--json").stdout)
    expect(json.violation).toMatchObject({ traceFile: null, textFile: null, writeError: expect.stringMatching(/EISDIR/) })
  })
})

describe("check", () => {
  it("prints one JSON object with the documented fields and exits 0 when nothing is violated", () => {
    const r = run("check", "mutex", "--json")
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report).toMatchObject({
      protocol: "mutex",
      variant: "base",
      config: { processes: 2 },
      generated: 15,
      distinct: 8,
      depth: 4,
      workers: 1,
      symmetry: false,
      violation: null,
      coverage: { Request: 6, Enter: 4, Exit: 4 },
      complete: true
    })
    expect(typeof report.seconds).toBe("number")
    expect(report.collisionProbability).toBeCloseTo((8 * 7) / 2 ** 64, 30)
  })

  it("--json carries a verdict and holds to traces/schema/check-report.schema.json's schema, for each verdict", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-out-"))
    const cases = [
      [["check", "mutex", "--json"], 0, "ok"],
      [["check", "mutex", "--variant", "no-lock", "--out", dir, "--json"], 1, "violation"],
      [["check", "mutex", "--max-depth", "1", "--json"], 0, "incomplete"]
    ] as const
    for (const [args, code, verdict] of cases) {
      const r = run(...args)
      expect(r.code, args.join(" ")).toBe(code)
      // decodeUnknownSync throws, naming the field, on anything the schema does not allow.
      const report = Schema.decodeUnknownSync(CheckReport, { onExcessProperty: "error" })(JSON.parse(r.stdout))
      expect(report.verdict).toBe(verdict)
      expect(report.complete).toBe(verdict === "ok")
      expect(report.seconds).toBe(Math.round(report.seconds * 1000) / 1000)
    }
  })

  it("writes the counterexample as ITF and text and exits 1 on a violation", () => {
    const out = mkdtempSync(join(tmpdir(), "replcheck-"))
    const r = run("check", "raftmongo", "--variant", "elect-without-majority", "--workers", "2", "--json", "--out", out)
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout)
    expect(report.violation).toMatchObject({ invariant: "NoTwoPrimariesInSameTerm", length: 3 })
    const itf = JSON.parse(readFileSync(report.violation.traceFile, "utf8"))
    expect(itf.vars).toEqual(["committedEntries", "currentTerm", "state", "commitPoint", "log", "mbt::actionTaken", "mbt::nondetPicks"])
    expect(itf.states).toHaveLength(3)
    expect(itf.states[1]["#meta"]).toMatchObject({ index: 1, action: "BecomePrimaryByMagic" })
    expect(itf.states[1]["mbt::actionTaken"]).toBe("BecomePrimaryByMagic")
    const text = readFileSync(report.violation.textFile, "utf8")
    expect(text).toMatch(/State 2: BecomePrimaryByMagic\(i = \d, ayeVoters = \{[\d, ]+\}\)/)
    expect(text).toMatch(/Violated: NoTwoPrimariesInSameTerm/)
  })

  it("says when a cap stopped the search", () => {
    const r = run("check", "raftmongo", "--max-depth", "3")
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/NO VIOLATION FOUND, INCOMPLETE: stopped at --max-depth 3 with [\d,]+ states left unexplored/)
  })

  it("flags actions that never fired", () => {
    const r = run("check", "raftmongo", "--servers", "1", "--max-term", "1", "--max-log-len", "1", "--max-client-write-size", "1")
    expect(r.stdout).toMatch(/warning: actions that never fired: .*AppendOplog/)
  })
})

describe("cluster", () => {
  it("runs the seeded simulator, writes its trace and validates it against the rollback model", () => {
    const out = join(mkdtempSync(join(tmpdir(), "replcheck-")), "run.ndjson")
    const r = run("cluster", "rollback", "--seed", "25", "--nodes", "3", "--steps", "200", "--faults", "crash,persist,partition", "--out", out)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^cluster rollback: seed 25, 3 nodes, \d+ events/)
    // This seed takes every coordinator step, a crash in the middle of a rollback and its resume.
    expect(r.stdout).toMatch(/RollbackRecover [1-9]\d*, RollbackTruncate [1-9]\d*, RollbackAbort \d+, RollbackEmitEvent [1-9]\d*, RollbackRejoin [1-9]\d*, RollbackResume [1-9]\d*, Crash [1-9]/)
    expect(r.stdout).toMatch(/validation: accepted/)
    expect(readFileSync(out, "utf8").split("\n")[0]).toMatch(/"kind":"header"/)
  })
})

describe("the bundled CLI", () => {
  it("bin runs dist/main and dist/fast, which answer as the unbundled dist/model/cli does", () => {
    const dist = join(import.meta.dirname, "../../dist")
    expect(existsSync(join(dist, "main/main.js")) && existsSync(join(dist, "fast/fast.js"))).toBe(true)
    // Times, rates and memory differ from run to run; so does the seconds column of verdicts' table (the last on a line).
    const seconds = /"seconds":[0-9.e-]+|"peakRssBytes":[0-9]+|"memoryBudgetBytes":[0-9]+|"statesPerSecond":[0-9.e+-]+|\b[0-9]+\.[0-9]+ s\b|memory budget [0-9,]+ MiB|\([0-9.]+k? states\/s\)| [0-9]+\.[0-9]{2}$/gm
    for (const args of [["check", "mutex", "--json"], ["check", "raftmongo", "--variant", "elect-without-majority", "-o", mkdtempSync(join(tmpdir(), "replcheck-bundle-"))], ["verdicts", "counter"]]) {
      const plain = spawnSync(process.execPath, [join(dist, "model/cli/main.js"), ...args], { encoding: "utf8" })
      const bundled = run(...args)
      expect(bundled.code, args.join(" ")).toBe(plain.status)
      expect(bundled.stdout.replace(seconds, "T"), args.join(" ")).toBe(plain.stdout.replace(seconds, "T"))
    }
  })
})

describe("validate a batch", () => {
  const corpus = join(import.meta.dirname, "../../traces/rollback/conformance")
  it("validates the traces of directories and files in one process: a line each, a summary, exit 1 when one is rejected", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-batch-"))
    mkdirSync(join(dir, "nested"))
    writeFileSync(join(dir, "nested", "full.ndjson"), readFileSync(join(corpus, "valid/full-rollback.ndjson")))
    writeFileSync(join(dir, "notes.txt"), "not a trace")
    const r = run("validate", "rollback", dir, join(corpus, "invalid/stepdown-of-a-follower.ndjson"), join(corpus, "valid/unobserved.ndjson"))
    expect(r.code).toBe(1)
    expect(r.stdout.split("\n").slice(0, 3)).toEqual([
      expect.stringMatching(/^accepted: .*nested\/full\.ndjson: 40 events$/),
      expect.stringMatching(/^rejected: .*stepdown-of-a-follower\.ndjson:2: event 1 \(Stepdown at node 3\) is not a step of the model$/),
      expect.stringMatching(/^accepted: .*unobserved\.ndjson: 40 events$/)
    ])
    expect(r.stdout).toMatch(/^3 traces: 2 accepted, 1 rejected, 0 bad input \(\d+\.\d\d s\)$/m)
  })

  it("a trace that is bad input is reported and the batch goes on; exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-batch-"))
    writeFileSync(join(dir, "a-bad.ndjson"), "{not json\n")
    writeFileSync(join(dir, "b-good.ndjson"), readFileSync(join(corpus, "valid/full-rollback.ndjson")))
    const r = run("validate", "rollback", dir, "--json")
    expect(r.code).toBe(2)
    const report = JSON.parse(r.stdout)
    expect(report).toMatchObject({ traces: 2, accepted: 1, rejected: 0, badInput: 1 })
    expect(report.rows[0]).toMatchObject({ verdict: "bad-input", diagnostic: expect.stringMatching(/a-bad\.ndjson:1: /) })
    expect(report.rows[1]).toMatchObject({ verdict: "accepted", events: 40 })
  })

  it.each([
    [["validate", "rollback", "a.ndjson", "b.ndjson", "--window", "w.itf.json"], /--window takes one trace, not a batch of 2/],
    // Traces may come after flags too: b.ndjson is the batch's second trace.
    [["validate", "rollback", "a.ndjson", "--json", "b.ndjson", "--itf", "x.itf.json"], /--itf takes one trace, not a batch of 2/]
  ])("bad batch usage exits 2: %j", (args, message) => {
    const r = run(...args)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it("--workers N gives the same lines, rows and summary as one thread, in the batch's order", () => {
    // The committed corpus (accepted and rejected traces; raft-elections' two are bad input against
    // the base model, which has no StartElection), a bad one, and ITF traces, 22 in all.
    const dir = mkdtempSync(join(tmpdir(), "replcheck-batch-"))
    writeFileSync(join(dir, "bad.ndjson"), '{"kind":"event"}\n')
    const args = ["validate", "rollback", corpus, dir, ...readdirSync("traces/rollback").filter((f) => f.endsWith(".itf.json")).slice(0, 10).map((f) => `traces/rollback/${f}`)]
    const seconds = / \(\d+\.\d\d s\)$|"seconds":[0-9.]+/gm
    const one = run(...args)
    const oneJson = run(...args, "--json")
    expect(one.code).toBe(2)
    expect(one.stdout).toMatch(/^22 traces: 4 accepted, 15 rejected, 3 bad input/m)
    for (const n of ["2", "3"]) {
      const many = run(...args, "--workers", n)
      expect([many.code, many.stdout.replace(seconds, ""), many.stderr]).toEqual([one.code, one.stdout.replace(seconds, ""), one.stderr])
      expect(run(...args, "-w", n, "--json").stdout.replace(seconds, "")).toBe(oneJson.stdout.replace(seconds, ""))
    }
    // A protocol given by path: the workers load its compiled module.
    const model = "examples/two-phase-commit/two-phase-commit.ts"
    const traces = mkdtempSync(join(tmpdir(), "replcheck-batch-"))
    for (const seed of ["1", "2", "3"]) expect(run("simulate", model, "--steps", "12", "--seed", seed, "--out", join(traces, `run-${seed}.ndjson`)).code).toBe(0)
    const byPath = run("validate", model, traces, "--workers", "2")
    expect([byPath.code, byPath.stdout.replace(seconds, "")]).toEqual([0, run("validate", model, traces).stdout.replace(seconds, "")])
  })

  it("an empty directory is bad input", () => {
    const r = run("validate", "rollback", mkdtempSync(join(tmpdir(), "replcheck-batch-")))
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no traces \(\*\.ndjson or \*\.itf\.json\) in this directory/)
  })
})

describe("check --memory", () => {
  it("stops at a level boundary before the budget is passed, says so, and exits 0", () => {
    const r = run("check", "rollback", "--memory", "150m", "--json")
    expect(r.code).toBe(0)
    const report = Schema.decodeUnknownSync(CheckReport)(JSON.parse(r.stdout))
    expect(report).toMatchObject({ verdict: "incomplete", complete: false, memoryBudgetBytes: 150 * 2 ** 20, stopped: { cap: "memory", limit: 150 * 2 ** 20 } })
    // The full run has 3,957,319 distinct states and peaks near 330 MiB here.
    expect(report.distinct).toBeLessThan(3_957_319)
    expect(report.peakRssBytes).toBeLessThan(150 * 2 ** 20 * 1.1)
    const text = run("check", "rollback", "--memory", "150m")
    expect(text.stdout).toMatch(/\nverdict: NO VIOLATION FOUND, INCOMPLETE: the next level would pass the memory budget \(--memory 150 MiB\), stopped with [\d,]+ states left unexplored/)
  })
})

describe("check --simulate", () => {
  it("walks random runs, reports the violation shortened with the seed that walks it again, and writes it", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-"))
    const r = run("check", "raftmongo", "--variant", "elect-without-majority", "--simulate", "--runs", "100", "--seed", "2", "--out", dir)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^replcheck check raftmongo --servers 3 .* --simulate --runs 100 --depth 100 --seed 2 \(variant elect-without-majority, workers 1\)\n/)
    expect(r.stdout).toMatch(/\nverdict: VIOLATION of NoTwoPrimariesInSameTerm in run 0 \(walk it alone with --seed 2 --runs 1\): 4 states, shortened to 3\n/)
    const text = readFileSync(join(dir, "raftmongo-elect-without-majority-NoTwoPrimariesInSameTerm.simulated.txt"), "utf8")
    expect(text).toMatch(/violates the invariant NoTwoPrimariesInSameTerm; 3 states/)
    const itf = JSON.parse(readFileSync(join(dir, "raftmongo-elect-without-majority-NoTwoPrimariesInSameTerm.simulated.itf.json"), "utf8"))
    expect(itf.states).toHaveLength(3)
  })

  it("gives the same result on 1, 2 and 3 worker threads, with and without a violation", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-"))
    const same = (r: ReturnType<typeof run>) => {
      const { seconds: _s, runsPerSecond: _r, stepsPerSecond: _p, peakRssBytes: _m, workers: _w, ...rest } = Schema.decodeUnknownSync(SimulationReport)(JSON.parse(r.stdout))
      return rest
    }
    const violating = ["raftmongo", "--variant", "commit-by-counting", "--simulate", "--runs", "3000", "--depth", "40", "--seed", "7"]
    for (const args of [violating, ["cdc", "--simulate", "--runs", "300", "--depth", "60"]]) {
      const one = same(run("check", ...args, "--json", "--out", dir))
      expect(same(run("check", ...args, "--workers", "2", "--json", "--out", dir))).toEqual(one)
      expect(same(run("check", ...args, "--workers", "3", "--json", "--out", dir))).toEqual(one)
    }
    // The violating run lies past the first block of runs of 2 and of 3 workers (blocks of 63 and 94 runs).
    expect(same(run("check", ...violating, "--json", "--out", dir)).violation!.run).toBeGreaterThan(94)
  }, 60_000)

  it("says so when no walk breaks an invariant, with the coverage, and --json follows its schema", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-"))
    const r = run("check", "raftmongo", "--simulate", "--runs", "50", "--depth", "20", "--json", "--out", dir)
    expect(r.code).toBe(0)
    const report = Schema.decodeUnknownSync(SimulationReport)(JSON.parse(r.stdout))
    expect(report).toMatchObject({ verdict: "ok", runs: 50, walked: 50, depth: 20, seed: 1, violation: null })
    expect(Object.values(report.coverage).reduce((a, b) => a + b, 0)).toBe(report.steps)
    expect(readdirSync(dir)).toEqual([])
  })
})

describe("cluster cdc", () => {
  it("runs the consumer on its file store, validates the run, and leaves the store the last event observed", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-"))
    const args = ["cluster", "cdc", "--seed", "144", "--store-dir", join(dir, "store"), "--out", join(dir, "run.ndjson")]
    const r = run(...args)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^cluster cdc: seed 144, 1 replicas, maxSeqno 3, keys 2, maxFailovers 2, 60 events, \d+ rollbacks answered, store: .*store, bugs: none/)
    expect(r.stdout).toMatch(/validation: accepted/)
    const lines = readFileSync(join(dir, "run.ndjson"), "utf8").trim().split("\n")
    const last = JSON.parse(lines[lines.length - 1]!).observed as { sink: Array<{ key: number }>; checkpoint: { seqno: number } }
    const store = JSON.parse(readFileSync(join(dir, "store", "store.json"), "utf8")) as { checkpoint: { seqno: number }; sink: Array<{ seqno: number; key: string }> }
    expect(store.checkpoint.seqno).toBe(last.checkpoint.seqno)
    expect(store.sink.map((m) => [m.seqno, Number(m.key.slice(1))])).toEqual(last.sink.flatMap((m, k) => (m.key === 0 ? [] : [[k + 1, m.key]])))
    const again = run(...args)
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/--store-dir: .*store is not empty/)
  })

  it("rejects a run with a planted producer bug and prints how to replay it", () => {
    const out = join(mkdtempSync(join(tmpdir(), "replcheck-")), "run.ndjson")
    const r = run("cluster", "cdc", "--seed", "5", "--bugs", "resume-ignoring-vbuuid", "--out", out)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/rejected: .*run\.ndjson:\d+: event \d+ \((OpenStream|ReplicaHandshake)\) is not a step of the model/)
    expect(r.stderr).toMatch(/replay the run with: npx replcheck cluster cdc --seed 5 .*--bugs resume-ignoring-vbuuid/)
  })
})

describe("cluster sidecar", () => {
  it("runs writers and sweeps on the file store and validates the run against the sidecar model", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-"))
    const args = ["cluster", "sidecar", "--seed", "3", "--store-dir", join(dir, "store"), "--out", join(dir, "run.ndjson")]
    const r = run(...args)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^cluster sidecar: seed 3, 2 writers, 2 sweeps, 2 tables, \d+ events \(of at most 60 steps\), store: .*store, bugs: none/)
    expect(r.stdout).toMatch(/validation: accepted/)
    expect(readFileSync(join(dir, "store", "store.json"), "utf8")).toMatch(/"manifest"/)
    // The store is left for inspection, and a second run refuses to start from it.
    const again = run(...args)
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/--store-dir: .*store is not empty/)
  })

  it("follows a --store-dir that is a link to an empty directory, and leaves no staging directory", () => {
    const dir = mkdtempSync(join(tmpdir(), "replcheck-"))
    mkdirSync(join(dir, "empty"))
    symlinkSync(join(dir, "empty"), join(dir, "link"))
    const r = run("cluster", "sidecar", "--seed", "3", "--store-dir", join(dir, "link"), "--out", join(dir, "run.ndjson"))
    expect(r.code).toBe(0)
    expect(readdirSync(dir).sort()).toEqual(["empty", "link", "run.ndjson"])
    expect(readdirSync(join(dir, "empty"))).toEqual(["store.json"])
  })

  it("rejects a run with a planted bug and prints how to replay it", () => {
    const out = join(mkdtempSync(join(tmpdir(), "replcheck-")), "run.ndjson")
    const r = run("cluster", "sidecar", "--seed", "7", "--bugs", "rollback-without-lease", "--out", out)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/rejected: .*run\.ndjson:\d+: event \d+ \(SweepClassify\) is not a step of the model/)
    expect(r.stderr).toMatch(/replay the run with: npx replcheck cluster sidecar --seed 7 .*--bugs rollback-without-lease/)
  })
})

describe("list", () => {
  it("lists protocols with bounds, defaults, invariants and variants", () => {
    const r = run("list")
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/--max-client-write-size N {2}default 2, 1\.\.5/)
    expect(r.stdout).toMatch(/NeverRollbackBeforeCommitPoint/)
    expect(r.stdout).toMatch(/commit-by-counting/)
    const json = JSON.parse(run("list", "--json").stdout)
    expect(json.map((p: { name: string }) => p.name)).toEqual(builtInProtocols.map((p) => p.name))
  })
})
