/** node:fs as an Effect service; writes are atomic (temporary file, then rename). */
import { mkdir, rename, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import { Context, Data, Effect, Layer } from "effect"

export class FileError extends Data.TaggedError("FileError")<{ readonly message: string }> {}

export class Files extends Context.Tag("replcheck/Files")<
  Files,
  { readonly writeAtomic: (path: string, content: string) => Effect.Effect<void, FileError> }
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
      })
  })
}
