/** node:fs as an Effect service; writes are atomic (temporary file, then rename). */
import { createReadStream } from "node:fs"
import { access, mkdir, rename, writeFile } from "node:fs/promises"
import { createInterface } from "node:readline"
import { dirname } from "node:path"
import { Context, Data, Effect, Layer } from "effect"

export class FileError extends Data.TaggedError("FileError")<{ readonly message: string }> {}

export class Files extends Context.Tag("replcheck/Files")<
  Files,
  {
    readonly writeAtomic: (path: string, content: string) => Effect.Effect<void, FileError>
    /** The file's lines, streamed (memory does not grow with the file). */
    readonly readLines: (path: string) => Effect.Effect<AsyncIterable<string>, FileError>
  }
>() {
  static readonly layer = Layer.succeed(Files, {
    writeAtomic: (path, content) =>
      Effect.tryPromise({
        try: async () => {
          await mkdir(dirname(path), { recursive: true })
          const tmp = `${path}.${process.pid}.tmp`
          await writeFile(tmp, content)
          await rename(tmp, path)
        },
        catch: (e) => new FileError({ message: `cannot write ${path}: ${(e as Error).message}` })
      }),
    readLines: (path) =>
      Effect.tryPromise({
        try: async () => {
          await access(path)
          return createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity })
        },
        catch: (e) => new FileError({ message: `cannot read ${path}: ${(e as Error).message}` })
      })
  })
}
