/** Reading trace files line by line: every line comes out whole, and none is allowed to grow without bound. */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { boundedLines, LineTooLong } from "../../model/cli/files.js"

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p, "utf8")
}
const all = async (it: AsyncIterable<string>) => {
  const out: string[] = []
  for await (const x of it) out.push(x)
  return out
}

describe("boundedLines", () => {
  it("splits on newlines across chunks, keeps characters split between chunks, drops \\r, keeps a last line without end", async () => {
    const euro = Buffer.from("€", "utf8")
    async function* split() {
      yield Buffer.from("a\r\nb")
      yield euro.subarray(0, 1)
      yield Buffer.concat([euro.subarray(1), Buffer.from("\n\nlast")])
    }
    expect(await all(boundedLines(split(), "f"))).toEqual(["a", "b€", "", "last"])
    expect(await all(boundedLines(chunks("x\n"), "f"))).toEqual(["x"])
  })
  it("refuses a line over the limit, naming its number, whether it ends or not", async () => {
    await expect(all(boundedLines(chunks("ok\n", "1234", "56\n"), "f", 5))).rejects.toThrow(new LineTooLong("f", 2, 5))
    await expect(all(boundedLines(chunks("ok\n", "123", "456"), "f", 5))).rejects.toThrow(/^f:2: the line is longer than 5 bytes/)
    expect(await all(boundedLines(chunks("12345\n"), "f", 5))).toEqual(["12345"])
    // A chunk larger than the limit, with the long line in its middle.
    await expect(all(boundedLines(chunks("a\nbb\n1234567\nc\n"), "f", 5))).rejects.toThrow(/^f:3: /)
  })
})

describe("replcheck validate on a file with an endless line", () => {
  const dir = mkdtempSync(join(tmpdir(), "replcheck-lines-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  it.each([
    ["trace.ndjson", /trace\.ndjson:1: the line is longer than 67,108,864 bytes/],
    ["trace.itf.json", /trace\.itf\.json: the ITF file is 600 MiB; ITF traces are read whole, up to 256 MiB/]
  ])("%s of 600 MB (sparse) is bad input, exit 2, one line", (name, message) => {
    const file = join(dir, name)
    writeFileSync(file, "")
    truncateSync(file, 600 * 2 ** 20)
    const r = spawnSync(process.execPath, [join(import.meta.dirname, "../../bin/replcheck.js"), "validate", "rollback", file], { encoding: "utf8" })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr.trim().split("\n")).toHaveLength(1)
  })
})
