import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The JSON report is what .ci/run reads to print its "N passed, M failed" line.
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]]
  }
})
