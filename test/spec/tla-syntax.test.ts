/**
 * Every TLA+ module under spec/ parses with the TLA+ tree-sitter grammar (no ERROR or MISSING
 * node). TLC and SANY are not installable on CI, so this is the syntax gate; semantic checks
 * and state counts against TLC are recorded in bench/RESULTS.md.
 */
import { readdirSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join, relative } from "node:path"
import { Language, Parser, type Node } from "web-tree-sitter"
import { beforeAll, describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "../..")
const require = createRequire(import.meta.url)

function tlaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tlaFiles(join(dir, e.name)) : e.name.endsWith(".tla") ? [join(dir, e.name)] : []
  )
}

/** The first ERROR or MISSING node, as "line:column kind". */
function firstError(node: Node): string | null {
  if (node.isError || node.isMissing) return `${node.startPosition.row + 1}:${node.startPosition.column + 1} ${node.isMissing ? "missing " + node.type : "unexpected " + JSON.stringify(node.text.slice(0, 40))}`
  for (const child of node.children) {
    if (child && child.hasError) {
      const found = firstError(child)
      if (found) return found
    }
  }
  return null
}

let parser: Parser

beforeAll(async () => {
  await Parser.init()
  parser = new Parser()
  parser.setLanguage(await Language.load(require.resolve("@tlaplus/tree-sitter-tlaplus/tree-sitter-tlaplus.wasm")))
})

const files = tlaFiles(join(root, "spec"))

describe("TLA+ syntax", () => {
  it("finds the modules", () => {
    expect(files.map((f) => relative(root, f))).toContain("spec/rollback/Rollback.tla")
  })

  it.each(files.map((f) => [relative(root, f), f]))("%s parses", (_, file) => {
    const tree = parser.parse(readFileSync(file, "utf8"))!
    expect(firstError(tree.rootNode)).toBeNull()
  })

  it("reports a broken module (the check can fail)", () => {
    const broken = "---- MODULE Broken ----\nVARIABLE x\nInit == x = \nNext == x' = x + 1 /\\\n===="
    expect(firstError(parser.parse(broken)!.rootNode)).not.toBeNull()
  })
})
