/**
 * A worker thread of `replcheck validate --workers N`: loads the protocol (built in, or the
 * compiled module of a protocol given by path) and validates the trace files the coordinator
 * sends, one at a time, answering each with its batch row. Plain code, like the rest of
 * `validate` (validate-command.ts).
 */
import { parentPort, workerData } from "node:worker_threads"
import { importBuiltIn } from "../protocols/by-name.js"
import { importProtocol } from "../protocols/load.js"
import type { ValidateCommand } from "./args.js"
import { batchRow, type BatchRow } from "./validate-command.js"

/** What the coordinator gives each worker. */
export interface ValidateWorkerData {
  /** A built-in protocol's name, or undefined for a protocol loaded by path. */
  readonly protocol: string
  /** The compiled module of a protocol given by path (Protocol.source). */
  readonly source: string | undefined
  readonly internalSteps: number
  readonly variant: string
}

/** A request: validate `file`, the batch's trace number `index`. */
export interface ValidateRequest {
  readonly index: number
  readonly file: string
}

export interface ValidateReply {
  readonly index: number
  readonly row: BatchRow
}

const data = workerData as ValidateWorkerData
const protocol = data.source !== undefined ? await importProtocol(data.source, data.source) : await importBuiltIn(data.protocol)
if (protocol === undefined) throw new Error(`unknown protocol ${data.protocol}`)
const cmd: ValidateCommand = { command: "validate", protocol, paths: [], internalSteps: data.internalSteps, json: false, window: undefined, itf: undefined, workers: 1, variant: data.variant }
parentPort!.on("message", (request: ValidateRequest) => {
  void batchRow(cmd, request.file).then((row) => parentPort!.postMessage({ index: request.index, row } satisfies ValidateReply))
})
