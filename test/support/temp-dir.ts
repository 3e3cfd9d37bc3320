/**
 * vitest global setup: every test file, and every process a test starts, gets its temporary files
 * under one folder of this run (TMPDIR, which os.tmpdir() and child processes read), removed when
 * the run ends, so no test leaves anything in the machine's temporary folder.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "replcheck-tests-"))
  process.env["TMPDIR"] = dir
  return () => rmSync(dir, { recursive: true, force: true })
}
