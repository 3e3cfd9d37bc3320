/**
 * What `replcheck help`, `replcheck <command> --help` and `replcheck <command> <protocol> --help`
 * print. A protocol named there adds the flags it gives the command (its bounds, or its
 * reference implementation's flags); the protocols are loaded only then, and Effect never.
 */
import type { Protocol } from "../kit/index.js"
import { boundFlags, commandNamed, implementationFlags } from "./commands.js"
import { USAGE, usageOf } from "./usage.js"

export async function helpText(topic: string | undefined, protocol?: string | Pick<Protocol, "name" | "bounds">): Promise<string> {
  if (topic === undefined) return USAGE
  const c = commandNamed(topic)
  if (c?.protocolFlags === undefined || protocol === undefined) return usageOf(topic)
  // A name that is not a built-in protocol's (a module's path) gets the generic usage.
  const p = typeof protocol === "string" ? (await import("../protocols/index.js")).builtInProtocols.find((b) => b.name === protocol) : protocol
  if (p === undefined) return usageOf(topic)
  if (c.protocolFlags === "bounds") return usageOf(topic, { title: `bound flags of ${p.name}`, flags: boundFlags(p.bounds) })
  const implementation = (await import("../../impl/index.js")).referenceImplementations.find((r) => r.protocol === p.name)
  if (implementation === undefined) return usageOf(topic)
  return usageOf(topic, { title: `flags of ${p.name}'s reference implementation`, flags: implementationFlags(implementation.flags) })
}
