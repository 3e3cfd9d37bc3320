/**
 * A protocol's bounds as plain data: integer fields with a default, a range and a description.
 * Imports nothing, so that worker threads and the CLI's usage texts read them without loading
 * Effect (config.ts decodes a configuration against them).
 */

export interface BoundSpec {
  readonly default: number
  readonly min: number
  readonly max: number
  readonly description: string
}

export type Bounds = Readonly<Record<string, BoundSpec>>

/** camelCase field name to its kebab-case flag, e.g. maxLogLen -> max-log-len. */
export function flagName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())
}
