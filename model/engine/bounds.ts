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
  /**
   * A bound of the search alone (a state constraint on a size, like MaxTerm): validation, which
   * bounds no size, accepts any positive integer for it in a trace's header (see `forValidation`).
   */
  readonly searchOnly?: boolean
}

export type Bounds = Readonly<Record<string, BoundSpec>>

/** camelCase field name to its kebab-case flag, e.g. maxLogLen -> max-log-len. */
export function flagName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())
}

/** A configuration read against a protocol's bounds, or why it cannot be. */
export type ConfigReading = { readonly ok: true; readonly config: Record<string, number> } | { readonly ok: false; readonly message: string }

/** How a value that is not a bound's integer shows in a message: JSON where it has a form, else its string. */
const shown = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : typeof v === "object" && v !== null ? (JSON.stringify(v) ?? String(v)) : String(v))

/**
 * Reads a partial configuration (missing bounds take their defaults); on failure one line naming
 * the bound's flag and the rule, e.g. `--servers: Expected a number between 1 and 7, actual 9`.
 * Plain code, so that `validate` starts without Effect; config.ts's `decodeConfig` is this as an
 * Either, and a test keeps it equal to the Effect Schema it replaced.
 */
/** The bounds as validation reads a trace's header: a search-only bound takes any integer from its minimum up to 2^53. */
export function forValidation(bounds: Bounds): Bounds {
  return Object.fromEntries(Object.entries(bounds).map(([name, spec]) => [name, spec.searchOnly ? { ...spec, max: Number.MAX_SAFE_INTEGER } : spec]))
}

export function readConfig(bounds: Bounds, input: Readonly<Record<string, unknown>>): ConfigReading {
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(bounds, name)) return { ok: false, message: `config.${name}: not a bound (bounds: ${Object.keys(bounds).join(", ")})` }
  }
  const config: Record<string, number> = {}
  for (const [name, spec] of Object.entries(bounds)) {
    const v = input[name]
    if (v === undefined) {
      config[name] = spec.default
      continue
    }
    if (typeof v !== "number") return { ok: false, message: `--${flagName(name)}: Expected number, actual ${shown(v)}` }
    const problem = !Number.isSafeInteger(v)
      ? `Expected an integer, actual ${shown(v)}`
      : v < spec.min || v > spec.max
        ? `Expected a number between ${spec.min} and ${spec.max}, actual ${shown(v)}`
        : null
    if (problem !== null) return { ok: false, message: `--${flagName(name)}: ${problem}` }
    config[name] = v
  }
  return { ok: true, config }
}
