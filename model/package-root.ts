/**
 * The directory of this replcheck installation (the one whose package.json is named
 * replcheck), found from the calling module's URL. Files of the installation are located from
 * it rather than relative to the module, because the same code runs from the sources (model/),
 * from dist/ and from the bundled start-up path (dist/fast/), at different depths.
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const roots = new Map<string, string>()

export function packageRoot(moduleUrl: string): string {
  const start = dirname(fileURLToPath(moduleUrl))
  const known = roots.get(start)
  if (known !== undefined) return known
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json")
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "replcheck") {
      roots.set(start, dir)
      return dir
    }
    if (dirname(dir) === dir) throw new Error(`no replcheck package.json above ${start}`)
  }
}
