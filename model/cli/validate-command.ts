/**
 * `replcheck validate`, in plain async code: bin/replcheck.js runs it through fast.ts without
 * loading Effect, so that checking a small trace takes about 60 ms more than Node's own start-up
 * (the CLI proper, main.ts, runs the same function). Only --window and --itf load the ITF writer,
 * which uses Effect's Schema.
 */
import { readdir, readFile, stat } from "node:fs/promises"
import { join } from "node:path"
import { renderRejection, TraceInputError, validateItf, validateTrace, type ValidationResult } from "../trace/validate.js"
import { UsageError, type ValidateCommand } from "./args.js"
import { LineTooLong, readLineBatches, writeAll } from "./file-io.js"
import { grouped } from "./numbers.js"
import { packageRoot } from "../package-root.js"
import type { KitModel } from "../kit/protocol.js"
import type { ValidateReply, ValidateRequest, ValidateWorkerData } from "./validate-worker.js"

/** ITF traces are read whole; past this size NDJSON, which is streamed, is the format to use. */
const MAX_ITF_BYTES = 256 * 1024 * 1024

export async function readItf(file: string): Promise<string> {
  const size = (await stat(file)).size
  if (size > MAX_ITF_BYTES) {
    throw new Error(`the ITF file is ${grouped(Math.ceil(size / 2 ** 20))} MiB; ITF traces are read whole, up to ${MAX_ITF_BYTES / 2 ** 20} MiB (NDJSON traces are streamed, with no limit on their length)`)
  }
  return readFile(file, "utf8")
}

/** Validates one trace file: the result, or a one-line UsageError naming file, line and field. */
async function validateFile(cmd: ValidateCommand, file: string): Promise<ValidationResult> {
  const itf = file.endsWith(".itf.json")
  let lines: AsyncIterable<string[]> | undefined
  if (!itf) {
    try {
      lines = await readLineBatches(file)
    } catch (e) {
      throw new UsageError({ message: `cannot read ${file}: ${(e as Error).message}` })
    }
  }
  try {
    return itf
      ? validateItf(cmd.protocol, JSON.parse(await readItf(file)), file, cmd.variant)
      : await validateTrace(cmd.protocol, cmd.protocol.traceMapping ?? { internal: [] }, lines!, file, { internalSteps: cmd.internalSteps, keepPath: cmd.itf !== undefined, variant: cmd.variant })
  } catch (e) {
    throw new UsageError({
      message: e instanceof TraceInputError || e instanceof LineTooLong ? e.message : e instanceof SyntaxError ? `${file}:1: not valid JSON (${e.message})` : `${file}: ${(e as Error).message}`
    })
  }
}

const isTrace = (name: string) => name.endsWith(".ndjson") || name.endsWith(".itf.json")

/** The trace files the command names: files as given, directories searched (recursively, sorted) for traces. */
async function traceFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const path of paths) {
    const info = await stat(path).catch(() => null)
    if (info === null || !info.isDirectory()) {
      out.push(path)
      continue
    }
    const found = (await readdir(path, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && isTrace(e.name))
      .map((e) => join(e.parentPath, e.name))
      .sort()
    if (found.length === 0) throw new UsageError({ message: `${path}: no traces (*.ndjson or *.itf.json) in this directory` })
    out.push(...found)
  }
  return out
}

async function writeFileAtomic(path: string, content: string): Promise<void> {
  try {
    await writeAll([[path, content]])
  } catch (e) {
    throw new UsageError({ message: `cannot write ${path}: ${(e as Error).message}` })
  }
}

/**
 * Validates traces. One trace: exit 0 accepted, 1 rejected; bad input throws a one-line
 * UsageError (exit 2). Several (or a directory): a line each and a summary, in one process;
 * exit 2 when any was bad input, else 1 when any was rejected, else 0.
 */
export async function runValidate(cmd: ValidateCommand): Promise<number> {
  const traces = await traceFiles(cmd.paths)
  if (traces.length === 1 && cmd.paths.length === 1 && traces[0] === cmd.paths[0]) return validateOne(cmd, traces[0]!)
  if (cmd.window !== undefined || cmd.itf !== undefined) {
    throw new UsageError({ message: `${cmd.window !== undefined ? "--window" : "--itf"} takes one trace, not a batch of ${traces.length}` })
  }
  return validateBatch(cmd, traces)
}

async function validateOne(cmd: ValidateCommand, file: string): Promise<number> {
  const itf = file.endsWith(".itf.json")
  const result = await validateFile(cmd, file)
  let unwritten: string | undefined
  if ((result.rejection && cmd.window !== undefined) || (result.path && cmd.itf !== undefined)) {
    const { toItfTrace } = await import("../trace/counterexample.js")
    const { packedSteps } = await import("../trace/validate.js")
    // ITF is written from packed states, at the bounds the trace was validated at: an NDJSON
    // trace's states may pass them (validation has no bounds), and then the file is not written.
    let model: KitModel | undefined
    const packed = (steps: Parameters<typeof packedSteps>[1], flag: string) => {
      try {
        model ??= cmd.protocol.build(result.config, cmd.variant)
        return packedSteps(model, steps)
      } catch (e) {
        if (!(e instanceof RangeError)) throw e
        unwritten = `${flag}: not written: ITF is written from packed states at the bounds in the trace's header, and the trace passes them (${e.message})`
        return null
      }
    }
    if (result.rejection && cmd.window !== undefined) {
      const w = result.rejection.window
      const steps = packed(w.step ? [{ state: w.from }, w.step] : [{ state: w.from }], "--window")
      const ctx = { protocol: cmd.protocol.name, variant: cmd.variant, config: result.config, invariant: result.rejection.invariant ?? "(trace rejected)", kind: "state" as const }
      if (steps !== null) await writeFileAtomic(cmd.window, JSON.stringify(toItfTrace(model!, steps, ctx), null, 2) + "\n")
    }
    if (result.path && cmd.itf !== undefined) {
      const ctx = { protocol: cmd.protocol.name, variant: cmd.variant, config: result.config, invariant: "(accepted trace)", kind: "state" as const }
      const steps = packed(result.path, "--itf")
      if (steps !== null) {
        const doc = toItfTrace(model!, steps, ctx)
        await writeFileAtomic(cmd.itf, JSON.stringify({ ...doc, "#meta": { ...doc["#meta"], description: `the run of the model that ${file} is` } }, null, 2) + "\n")
      }
    }
  }
  if (cmd.json) {
    const { window: _window, ...rejection } = result.rejection ?? { window: undefined }
    const { path: _path, ...rest } = result
    const peakRssBytes = process.resourceUsage().maxRSS * 1024
    process.stdout.write(JSON.stringify({ ...rest, peakRssBytes, rejection: result.rejection ? { ...rejection, windowFile: cmd.window ?? null } : null }) + "\n")
  } else if (result.rejection) process.stdout.write(renderRejection(file, result.rejection) + "\n")
  else {
    process.stdout.write(
      `accepted: ${file}: ${grouped(result.events)} ${itf ? "steps" : "events"} are a run of ${result.protocol} ` +
        `(largest frontier ${result.maxFrontier}, ${result.seconds.toFixed(2)} s, ` +
        `${grouped(Math.round(result.events / Math.max(result.seconds, 1e-9)))} ${itf ? "steps" : "events"}/s)\n`
    )
  }
  if (unwritten !== undefined) {
    process.stderr.write(`replcheck: ${unwritten}\n`)
    return 2
  }
  return result.accepted ? 0 : 1
}

/** One trace of a batch, as --json reports it. */
export interface BatchRow {
  readonly file: string
  readonly verdict: "accepted" | "rejected" | "bad-input"
  readonly events?: number
  /** The first line of the rejection's diagnostic, or the bad input's message. */
  readonly diagnostic?: string
}

/** Validates one trace of a batch: its row (bad input is a row too). */
export async function batchRow(cmd: ValidateCommand, file: string): Promise<BatchRow> {
  try {
    const result = await validateFile(cmd, file)
    return result.rejection
      ? { file, verdict: "rejected", events: result.events, diagnostic: renderRejection(file, result.rejection).split("\n")[0]! }
      : { file, verdict: "accepted", events: result.events }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    return { file, verdict: "bad-input", diagnostic: e.message }
  }
}

/**
 * The rows of a batch, each handed to `onRow` in the batch's order as soon as it and every row
 * before it are known: in this thread, or on `cmd.workers` worker threads (validate-worker.ts),
 * each validating the next trace not yet taken.
 */
/** Traces sent to a worker before it answers the first: small traces take about as long as a message's round trip. */
const QUEUED_PER_WORKER = 4

async function batchRows(cmd: ValidateCommand, traces: readonly string[], onRow: (row: BatchRow) => void): Promise<BatchRow[]> {
  const rows: Array<BatchRow | undefined> = new Array(traces.length)
  let printed = 0
  const done = (index: number, row: BatchRow) => {
    rows[index] = row
    while (printed < rows.length && rows[printed] !== undefined) onRow(rows[printed++]!)
  }
  const threads = Math.min(cmd.workers, traces.length)
  if (threads <= 1) {
    for (const [index, file] of traces.entries()) done(index, await batchRow(cmd, file))
    return rows as BatchRow[]
  }
  const { Worker } = await import("node:worker_threads")
  const script = join(packageRoot(import.meta.url), "dist/model/cli/validate-worker.js")
  const data: ValidateWorkerData = { protocol: cmd.protocol.name, source: cmd.protocol.source, internalSteps: cmd.internalSteps, variant: cmd.variant }
  const workers = Array.from({ length: threads }, () => new Worker(script, { workerData: data }))
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0
      let finished = 0
      const give = (w: InstanceType<typeof Worker>) => {
        if (next < traces.length) {
          w.postMessage({ index: next, file: traces[next]! } satisfies ValidateRequest)
          next++
        }
      }
      for (const w of workers) {
        w.on("message", (reply: ValidateReply) => {
          done(reply.index, reply.row)
          if (++finished === traces.length) resolve()
          else give(w)
        })
        w.on("error", reject)
        w.on("exit", (code) => finished < traces.length && reject(new Error(`a validation worker stopped (exit ${code})`)))
        // A few traces queued ahead, so that a worker never waits on the round trip for its next one.
        for (let k = 0; k < QUEUED_PER_WORKER; k++) give(w)
      }
    })
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
  return rows as BatchRow[]
}

async function validateBatch(cmd: ValidateCommand, traces: readonly string[]): Promise<number> {
  const started = performance.now()
  const rows = await batchRows(cmd, traces, (row) => {
    if (cmd.json) return
    const line = row.verdict === "accepted" ? `accepted: ${row.file}: ${grouped(row.events!)} events` : row.verdict === "rejected" ? row.diagnostic! : `bad input: ${row.diagnostic!}`
    process.stdout.write(line + "\n")
  })
  const count = (v: BatchRow["verdict"]) => rows.filter((r) => r.verdict === v).length
  const summary = { traces: rows.length, accepted: count("accepted"), rejected: count("rejected"), badInput: count("bad-input"), seconds: Math.round(performance.now() - started) / 1000 }
  if (cmd.json) process.stdout.write(JSON.stringify({ ...summary, rows }) + "\n")
  else process.stdout.write(`${summary.traces} traces: ${summary.accepted} accepted, ${summary.rejected} rejected, ${summary.badInput} bad input (${summary.seconds.toFixed(2)} s)\n`)
  return summary.badInput > 0 ? 2 : summary.rejected > 0 ? 1 : 0
}
