/**
 * A partial configuration of a protocol's bounds (bounds.ts: plain data), decoded as an Either for
 * the Effect code; the rules and the messages are bounds.ts's `readConfig`, so the CLI, `replcheck
 * list`, ITF metadata and tests agree on them.
 */
import { Either } from "effect"
import { readConfig, type Bounds } from "./bounds.js"

export { flagName, readConfig, type BoundSpec, type Bounds, type ConfigReading } from "./bounds.js"

/** Decodes a partial config (missing bounds take their defaults); on failure one line naming the flag and the rule. */
export function decodeConfig(bounds: Bounds, input: Readonly<Record<string, unknown>>): Either.Either<Record<string, number>, string> {
  const r = readConfig(bounds, input)
  return r.ok ? Either.right(r.config) : Either.left(r.message)
}
