/**
 * The node both rollback crash tests run (test/impl/rollback/crash.test.ts with real processes,
 * power-loss.test.ts on a simulated disk): a deposed primary of term 1 whose LSNs 3-5 diverge from
 * the new primary's log, and what a finished rollback must leave.
 */
import { FileNode } from "../../impl/rollback/file-transport.js"
import type { LogEntry, RollbackInput } from "../../impl/rollback/types.js"

const entry = (lsn: number, term: number, key: string, value: string | null): LogEntry => ({ lsn, term, key, value })
export const local = [entry(1, 1, "a", "a1"), entry(2, 1, "b", "b1"), entry(3, 1, "a", "a-lost"), entry(4, 1, "c", "c-lost"), entry(5, 1, "b", null)]
export const source = [entry(1, 1, "a", "a1"), entry(2, 1, "b", "b1"), entry(3, 2, "b", "b2")]
export const view = { primary: 2, term: 2 }
export const input: RollbackInput = { node: 1, localLog: local, sourceLog: source, source: 2, sourceTerm: 2, watermark: 2 }
export const keys = ["a", "b", "c"]
export const tail = local.slice(2)

/** The durable state that matters: log, the values the store serves, rollback files, events, marker, lock. */
export function durable(dir: string) {
  const c = FileNode.read(dir)
  return {
    log: c.log,
    served: keys.map((k) => FileNode.valueOf(c, k)),
    rollbackFiles: [...c.rollbackFiles.values()],
    events: c.events.map((e) => e.removed),
    pending: c.pending?.removed ?? null,
    termLocked: c.termLocked
  }
}

/** Where a rollback that was not interrupted ends. */
export const finished = { log: local.slice(0, 2), served: ["a1", "b1", null], rollbackFiles: [tail], events: [tail.map((e) => ({ lsn: e.lsn, term: e.term }))], pending: null, termLocked: false }
