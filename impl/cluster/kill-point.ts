/**
 * Where a crash child (impl/recovery/crash-child.ts, impl/cdc/crash-child.ts) kills itself with
 * SIGKILL, from its command-line spec: `step:<n>` after step n, or `<failpoint>:<k>` at the k-th
 * passage of a storage failpoint.
 */
export interface KillPoint {
  /** Call after each step (1-based). */
  readonly afterStep: (step: number) => void
  /** Call at each passage of a failpoint. */
  readonly atFailpoint: (at: string) => void
}

export function killPoint(spec: string): KillPoint {
  const cut = spec.lastIndexOf(":")
  const where = spec.slice(0, cut)
  const nth = Number(spec.slice(cut + 1))
  const kill = () => process.kill(process.pid, "SIGKILL")
  let passed = 0
  return {
    afterStep: (step) => {
      if (where === "step" && step === nth) kill()
    },
    atFailpoint: (at) => {
      if (at === where && ++passed === nth) kill()
    }
  }
}
