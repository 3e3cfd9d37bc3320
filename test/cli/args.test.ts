/** The command-line parser (args.ts) against the declarations, in process. */
import { describe, expect, it } from "vitest"
import { parseArgs } from "../../model/cli/args.js"
import { defineProtocol, defineState, global, uint } from "../../model/kit/index.js"
import mutex from "../../model/protocols/examples/mutex.js"

const State = defineState(() => ({ x: global(uint(9)) }))
/** A protocol with a bound named like a flag of check (--depth, of --simulate). */
const clashing = defineProtocol({
  name: "clash",
  summary: "x counts up to depth",
  bounds: { depth: { default: 3, min: 1, max: 9, description: "how far x goes" } },
  state: State,
  actions: () => [State.action("Up").then((t, _a, s) => void (t.x = s.x + 1))],
  constraint: (s, b) => s.x <= b.depth,
  invariants: () => []
})

const message = (argv: string[], protocol = mutex) => {
  const r = parseArgs(argv, protocol)
  return r.ok ? null : r.error.message
}

describe("parseArgs", () => {
  it("refuses a protocol whose bound is named like one of the command's flags, rather than shadow one", () => {
    expect(message(["check", "clash", "--depth", "2"], clashing)).toBe("check clash: the protocol's flag --depth has the name of check's own --depth; rename that bound")
    // describe has no --depth of its own: the bound is reachable there.
    const d = parseArgs(["describe", "clash", "--depth", "2"], clashing)
    expect(d.ok && d.value.command === "describe" && d.value.config).toEqual({ depth: 2 })
  })
  it("reads long, short and inline forms alike, and repeats only what repeats", () => {
    const forms = [
      ["check", "mutex", "--processes", "3", "--workers", "2", "--invariant", "MutualExclusion"],
      ["check", "mutex", "--processes=3", "-w2", "-i", "MutualExclusion"],
      ["check", "mutex", "-w", "2", "--processes", "3", "-i=MutualExclusion"]
    ]
    for (const argv of forms) {
      const r = parseArgs(argv, mutex)
      expect(r.ok && r.value.command === "check" && [r.value.config, r.value.workers, r.value.invariants]).toEqual([{ processes: 3 }, 2, ["MutualExclusion"]])
    }
    const twice = parseArgs(["check", "mutex", "-i", "MutualExclusion", "--invariant", "ExitReleasesLock"], mutex)
    expect(twice.ok && twice.value.command === "check" && twice.value.invariants).toEqual(["MutualExclusion", "ExitReleasesLock"])
    expect(message(["check", "mutex", "--processes", "2", "--processes", "3"])).toMatch(/--processes is given more than once/)
  })
  it("takes a negative number as a value, and another flag as a missing one", () => {
    expect(message(["check", "mutex", "--processes", "-1"])).toBe("--processes: expected an integer between 1 and 6, got -1")
    expect(message(["check", "mutex", "--out", "--json"])).toBe("--out needs a directory")
    expect(message(["simulate", "mutex", "--out", "--json"])).toBe("--out needs a file")
  })
  it("an Object property is no flag: --constructor and --__proto__ are unknown", () => {
    for (const name of ["constructor", "__proto__", "toString"]) expect(message(["check", "mutex", `--${name}`, "1"])).toMatch(new RegExp(`^unknown flag --${name} for check mutex`))
  })
})
