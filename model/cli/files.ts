/** node:fs as an Effect service (file-io.ts is the plain code it wraps); writes are atomic (temporary file, then rename). */
import { writeFile, rm } from "node:fs/promises"
import { join } from "node:path"
import { Context, Data, Effect, Layer } from "effect"
import { ensureDir, readLines, writeAll } from "./file-io.js"

export { boundedLines, ensureDir, LineTooLong, MAX_LINE_BYTES } from "./file-io.js"

const reason = (e: unknown) => (e as Error).message

export class FileError extends Data.TaggedError("FileError")<{ readonly message: string }> {}

export class Files extends Context.Tag("replcheck/Files")<
  Files,
  {
    readonly writeAtomic: (path: string, content: string) => Effect.Effect<void, FileError>
    /** Several files that appear together or not at all (a counterexample's .itf.json and .txt). */
    readonly writeAllAtomic: (entries: ReadonlyArray<readonly [path: string, content: string]>) => Effect.Effect<void, FileError>
    /** Fails unless files can be created in `dir` (made if missing): checked before a long run, not after it. */
    readonly checkWritableDir: (dir: string) => Effect.Effect<void, FileError>
    /** The file's lines, streamed (memory does not grow with the file). */
    readonly readLines: (path: string) => Effect.Effect<AsyncIterable<string>, FileError>
  }
>() {
  static readonly layer = Layer.succeed(Files, {
    writeAtomic: (path, content) =>
      Effect.tryPromise({
        try: () => writeAll([[path, content]]),
        catch: (e) => new FileError({ message: `cannot write ${path}: ${reason(e)}` })
      }),
    writeAllAtomic: (entries) =>
      Effect.tryPromise({
        try: () => writeAll(entries),
        catch: (e) => new FileError({ message: `cannot write ${entries.map(([p]) => p).join(" and ")}: ${reason(e)}` })
      }),
    checkWritableDir: (dir) =>
      Effect.tryPromise({
        try: async () => {
          await ensureDir(dir)
          const probe = join(dir, `.replcheck-probe-${process.pid}`)
          await writeFile(probe, "")
          await rm(probe, { force: true })
        },
        catch: (e) => new FileError({ message: `cannot write to ${dir}: ${reason(e)}` })
      }),
    readLines: (path) =>
      Effect.tryPromise({
        try: () => readLines(path),
        catch: (e) => new FileError({ message: `cannot read ${path}: ${(e as Error).message}` })
      })
  })
}
