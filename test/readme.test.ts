/**
 * The README's tutorial shows the example model in pieces: every line of its TypeScript blocks
 * (but the "..." placeholders) is a line of examples/two-phase-commit/two-phase-commit.ts, in
 * order, so the tutorial cannot drift from the file the package test runs.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "..")
const readme = readFileSync(join(root, "README.md"), "utf8")
const example = readFileSync(join(root, "examples/two-phase-commit/two-phase-commit.ts"), "utf8").split("\n")
const tutorial = readme.slice(readme.indexOf("## Write your first protocol"), readme.indexOf("## The model kit"))
const blocks = [...tutorial.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!.split("\n").filter((l) => l.trim() !== "" && !/^\s*\/\/ *(\.\.\.|   )/.test(l)))

describe("README tutorial", () => {
  it("has the example's code blocks", () => expect(blocks.length).toBeGreaterThanOrEqual(3))
  it.each(blocks.map((b, k) => [k + 1, b] as const))("block %i is the example file's lines, in order", (_, lines) => {
    let at = 0
    for (const line of lines) {
      const found = example.indexOf(line, at)
      expect({ line, found: found >= 0 }).toEqual({ line, found: true })
      at = found + 1
    }
  })
})
