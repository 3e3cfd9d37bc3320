import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One temporary folder for the whole run, removed at its end (test/support/temp-dir.ts).
    globalSetup: ["test/support/temp-dir.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The same V8 inlining budget as the CLI and its workers (model/engine/tuning.ts), so that the
    // searches the tests run are as fast as the checker's.
    execArgv: ["--max-inlined-bytecode-size-cumulative=2000"],
    // The JSON report is what .ci/run reads to print its "N passed, M failed" line.
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]]
  }
})
