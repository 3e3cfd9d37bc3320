/**
 * Protocols by name or by path. A name is a built-in protocol; a path (`./my-protocol.ts`, or
 * `.js`) is a module whose default export (or only exported protocol) is a `defineProtocol`
 * result. Modules are bundled with esbuild into one plain ESM file in the system's temporary
 * directory, keyed by content (so a second run reuses it, and worker threads, which cannot load
 * TypeScript, import the same file); imports of `replcheck` and `replcheck/kit` are pointed at
 * this installation, so the model uses the kit the checker runs.
 */
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { ModelRef } from "../engine/model.js"
import type { Protocol } from "../kit/index.js"
import { packageRoot } from "../package-root.js"
import { BUILT_IN_NAMES, importBuiltIn } from "./by-name.js"

/** A protocol that cannot be loaded: a one-line reason (file, line and column where there is one). */
export class ProtocolLoadError extends Error {
  override readonly name = "ProtocolLoadError"
}

/** Does the argument name a file rather than a built-in protocol? */
export const isModulePath = (arg: string) => /[\\/]/.test(arg) || /\.(m?[jt]s|cts|cjs)$/.test(arg)

const fromSources = fileURLToPath(import.meta.url).endsWith(".ts")
/** The compiled file of this installation that `replcheck/<entry>` means. */
function installed(entry: "kit" | "api"): string {
  return join(packageRoot(import.meta.url), "dist/model", entry === "kit" ? "kit/index.js" : "api.js")
}

/** Bundles a model module to plain ESM; returns the file URL of the result. */
export async function compileModule(path: string, cwd = process.cwd()): Promise<string> {
  // Loaded here, not at the top: worker threads import this module and never compile.
  const [{ createHash }, { mkdirSync, renameSync, writeFileSync }, { tmpdir }, { basename, isAbsolute, resolve }] = await Promise.all([
    import("node:crypto"),
    import("node:fs"),
    import("node:os"),
    import("node:path")
  ])
  const file = isAbsolute(path) ? path : resolve(cwd, path)
  if (!existsSync(file)) throw new ProtocolLoadError(`${path}: no such file`)
  if (!statSync(file).isFile()) throw new ProtocolLoadError(`${path}: not a file`)
  const kit = installed("kit")
  if (!existsSync(kit)) throw new ProtocolLoadError(`${kit} is missing: build replcheck first (npm run build)`)
  const esbuild = await import("esbuild")
  let code: string
  try {
    const out = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      write: false,
      logLevel: "silent",
      sourcemap: "inline",
      plugins: [
        {
          name: "replcheck",
          setup(build) {
            build.onResolve({ filter: /^replcheck(\/kit)?$/ }, (args) => ({
              path: pathToFileURL(installed(args.path === "replcheck" ? "api" : "kit")).href,
              external: true
            }))
          }
        }
      ]
    })
    code = out.outputFiles[0]!.text
  } catch (e) {
    const first = (e as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors?.[0]
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : `${path}: `
    throw new ProtocolLoadError(`${where}${first?.text ?? (e as Error).message}`)
  }
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 16)
  const dir = join(tmpdir(), "replcheck-models")
  mkdirSync(dir, { recursive: true })
  const target = join(dir, `${basename(file).replace(/\.[^.]+$/, "")}-${hash}.mjs`)
  if (!existsSync(target)) {
    // Written under a temporary name and renamed, so a concurrent run never imports half a file.
    const tmp = `${target}.${process.pid}.tmp`
    writeFileSync(tmp, code)
    renameSync(tmp, target)
  }
  return pathToFileURL(target).href
}

/** The protocol a compiled module exports: its default export, or its only exported protocol. */
export async function importProtocol(url: string, shown: string): Promise<Protocol> {
  let mod: Record<string, unknown>
  try {
    mod = (await import(url)) as Record<string, unknown>
  } catch (e) {
    throw new ProtocolLoadError(`${shown}: loading the module failed: ${(e as Error).message.split("\n")[0]}`)
  }
  const isProtocol = (v: unknown): v is Protocol => v !== null && typeof v === "object" && typeof (v as Protocol).build === "function" && typeof (v as Protocol).name === "string"
  if (isProtocol(mod["default"])) return (mod["default"] as Protocol).withSource(url)
  const found = Object.values(mod).filter(isProtocol)
  if (found.length === 1) return found[0]!.withSource(url)
  throw new ProtocolLoadError(
    found.length === 0
      ? `${shown}: the module exports no protocol (export default defineProtocol({ ... }))`
      : `${shown}: the module exports ${found.length} protocols and no default export; export the one to check as default`
  )
}

/** A built-in protocol by name, or a model module by path. */
export async function loadProtocol(nameOrPath: string, cwd = process.cwd()): Promise<Protocol> {
  const known = await importBuiltIn(nameOrPath)
  if (known) return known
  if (!isModulePath(nameOrPath)) {
    throw new ProtocolLoadError(`unknown protocol ${JSON.stringify(nameOrPath)} (known: ${BUILT_IN_NAMES.join(", ")}; or the path of a model module)`)
  }
  return importProtocol(await compileModule(nameOrPath, cwd), nameOrPath)
}

/** The protocol of a worker thread's model reference (the registry's, or the compiled module's). */
export async function protocolOf(ref: ModelRef): Promise<Protocol> {
  if (ref.source !== undefined) return importProtocol(ref.source, ref.source)
  const p = await importBuiltIn(ref.protocol)
  if (!p) throw new ProtocolLoadError(`unknown protocol ${ref.protocol}`)
  return p
}

/**
 * The compiled worker entry (worker threads cannot load .ts; from sources it is the dist/ copy,
 * which must not be older than the sources, or workers would run another model than ours).
 */
export function workerScript(): string {
  const script = join(packageRoot(import.meta.url), "dist/model/protocols/worker.js")
  if (!existsSync(script)) throw new Error(`worker script ${script} is missing: run npm run build`)
  if (fromSources) {
    const built = statSync(script).mtimeMs
    const sources = fileURLToPath(new URL("..", import.meta.url))
    const newest = (dir: string): number =>
      readdirSync(dir, { withFileTypes: true }).reduce(
        (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : e.name.endsWith(".ts") ? statSync(join(dir, e.name)).mtimeMs : 0),
        0
      )
    if (newest(sources) > built) throw new Error(`worker script ${script} is older than the sources in ${sources}: run npm run build`)
  }
  return script
}
