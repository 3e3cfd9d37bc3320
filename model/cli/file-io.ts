/**
 * File input and output in plain async code (no Effect), for the commands that start without it
 * (`validate`); files.ts offers the same as an Effect service. Writes are atomic: a temporary
 * file, then a rename.
 */
import { createReadStream } from "node:fs"
import { access, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises"
import { dirname } from "node:path"

/** The longest line a trace file may have (an event of the largest models is far smaller). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024

/** A line over the limit: bad input, named by file and line, never a string too long to build. */
export class LineTooLong extends Error {
  override readonly name = "LineTooLong"
  constructor(
    readonly path: string,
    readonly line: number,
    readonly limit: number
  ) {
    super(`${path}:${line}: the line is longer than ${limit.toLocaleString("en-US")} bytes (the limit for one line)`)
  }
}

/** The lines of a stream of bytes (UTF-8, "\n" or "\r\n" ends), each at most `limit` bytes. */
export async function* boundedLines(chunks: AsyncIterable<Buffer>, path: string, limit = MAX_LINE_BYTES): AsyncGenerator<string> {
  for await (const batch of boundedLineBatches(chunks, path, limit)) yield* batch
}

/**
 * The lines of `chunks` as `boundedLines` reads them, a chunk's whole lines at a time: a reader
 * of millions of lines then awaits once a chunk, not once a line (the awaits were a tenth of
 * validating a long trace).
 */
export async function* boundedLineBatches(chunks: AsyncIterable<Buffer>, path: string, limit = MAX_LINE_BYTES): AsyncGenerator<string[]> {
  // Bytes after the last newline so far; only they can make a line long (a chunk is small).
  let partial: Buffer[] = []
  let partialBytes = 0
  let line = 0
  for await (const chunk of chunks) {
    const first = chunk.indexOf(10)
    if (first < 0) {
      partial.push(chunk)
      partialBytes += chunk.length
      if (partialBytes > limit) throw new LineTooLong(path, line + 1, limit)
      continue
    }
    if (partialBytes + first > limit) throw new LineTooLong(path, line + 1, limit)
    if (chunk.length - first > limit) {
      // Lines within one chunk: only a chunk larger than the limit can hold a line over it.
      for (let k = 2, from = first + 1, nl = chunk.indexOf(10, from); nl >= 0; k++, from = nl + 1, nl = chunk.indexOf(10, from)) {
        if (nl - from > limit) throw new LineTooLong(path, line + k, limit)
      }
    }
    const last = chunk.lastIndexOf(10)
    // Decoded once per chunk, whole lines only, so no character is split.
    const body = partial.length === 0 ? chunk.subarray(0, last) : Buffer.concat([...partial, chunk.subarray(0, last)])
    const lines = body.toString("utf8").split("\n")
    for (let k = 0; k < lines.length; k++) if (lines[k]!.endsWith("\r")) lines[k] = lines[k]!.slice(0, -1)
    line += lines.length
    yield lines
    partial = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : []
    partialBytes = chunk.length - last - 1
    if (partialBytes > limit) throw new LineTooLong(path, line + 1, limit)
  }
  if (partialBytes > 0) {
    const text = Buffer.concat(partial).toString("utf8")
    yield [text.endsWith("\r") ? text.slice(0, -1) : text]
  }
}

/**
 * Creates a directory and its missing parents. Node's own `mkdir(recursive)` never returns for a
 * path under /proc (it retries the ENOENT forever), so each level is made here in turn.
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return
    throw Object.assign(new Error(`${dir} is not a directory`), { code: "ENOTDIR" })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e
  }
  const parent = dirname(dir)
  if (parent !== dir) await ensureDir(parent)
  try {
    await mkdir(dir)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
  }
}

/** Writes every file to a temporary name, then renames them all; on any failure none is left, temporaries included. */
export async function writeAll(entries: ReadonlyArray<readonly [path: string, content: string]>): Promise<void> {
  const written: string[] = []
  const renamed: string[] = []
  try {
    for (const [path] of entries) await ensureDir(dirname(path))
    for (const [path, content] of entries) {
      const tmp = `${path}.${process.pid}.tmp`
      written.push(tmp)
      await writeFile(tmp, content)
    }
    for (const [k, [path]] of entries.entries()) {
      await rename(written[k]!, path)
      renamed.push(path)
    }
  } catch (e) {
    await Promise.all([...written, ...renamed].map((f) => rm(f, { force: true }).catch(() => {})))
    throw e
  }
}

/** Files up to this size are read in one call rather than streamed (a batch of small traces waited on stream events for most of its time). */
const READ_WHOLE_BYTES = 1 << 20

/** The file's lines, streamed (memory does not grow with the file); fails at once if it cannot be read. */
export async function readLines(path: string): Promise<AsyncIterable<string>> {
  return flatten(await readLineBatches(path))
}

async function* flatten(batches: AsyncIterable<string[]>): AsyncGenerator<string> {
  for await (const batch of batches) yield* batch
}

/** A file's lines as `readLines` reads them, a chunk's whole lines at a time (see boundedLineBatches). */
export async function readLineBatches(path: string): Promise<AsyncIterable<string[]>> {
  await access(path)
  const size = (await stat(path)).size
  if (size <= READ_WHOLE_BYTES) {
    const whole = await readFile(path)
    return boundedLineBatches((async function* () { yield whole })(), path)
  }
  return boundedLineBatches(createReadStream(path), path)
}
