/**
 * Each built-in protocol's module by name, loaded alone: `validate` (which starts without
 * Effect, in about the time Node takes) loads the one protocol it checks, not all seven.
 * index.ts lists them all, for the commands that go through every one; a test keeps the two
 * lists equal.
 */
import type { Protocol } from "../kit/index.js"

const modules: Readonly<Record<string, () => Promise<{ readonly default: Protocol }>>> = {
  rollback: () => import("./rollback/index.js"),
  sidecar: () => import("./sidecar/index.js"),
  recovery: () => import("./recovery/index.js"),
  cdc: () => import("./cdc/index.js"),
  raftmongo: () => import("./raftmongo/index.js"),
  counter: () => import("./examples/counter.js"),
  mutex: () => import("./examples/mutex.js")
}

/** The built-in protocols' names, in the registry's order. */
export const BUILT_IN_NAMES: readonly string[] = Object.keys(modules)

/** The built-in protocol named so, or undefined. */
export async function importBuiltIn(name: string): Promise<Protocol | undefined> {
  return Object.hasOwn(modules, name) ? (await modules[name]!()).default : undefined
}
