/**
 * `UNCHANGED x` for step invariants: is a variable (one node's value of it) the same after a
 * step as before? A step invariant that walks a long value (a log) can skip the nodes whose value
 * the step left alone. Both backends answer exactly: the packed one by comparing the variable's
 * bytes, the value one by reference first (a step shares what it does not write), then by value.
 */

/** Where a root view keeps what `unchanged` compares (a symbol: no protocol variable can clash). */
export const STORAGE = Symbol("replcheck.storage")

export interface Storage {
  /** Is variable `name` (node `node`'s value, for a node variable) equal in this view's state and in `other`'s? */
  same(other: Storage, name: string, node: number | undefined): boolean
}

/** Is `name` (node `node`'s value of it, for a node variable) the same in `after` as in `before`? */
export function unchanged(before: object, after: object, name: string, node?: number): boolean {
  const a = (before as { [STORAGE]?: Storage })[STORAGE]
  const b = (after as { [STORAGE]?: Storage })[STORAGE]
  if (a === undefined || b === undefined) throw new TypeError("unchanged: compares two state views of the same model (an invariant's before and after)")
  return a.same(b, name, node)
}

/** The packed backend's storage: a variable's bytes in the buffer the view reads. */
export function packedStorage(buffer: Uint8Array, stride: number, fields: ReadonlyArray<{ readonly name: string; readonly scope: string; readonly offset: number; readonly width: number }>): Storage {
  const byName = new Map(fields.map((f) => [f.name, f]))
  const storage: Storage & { readonly buffer: Uint8Array } = {
    buffer,
    same(other, name, node) {
      const f = variableNamed(byName, name)
      const start = f.offset + nodeIndex(f.scope, name, node) * stride
      const there = (other as typeof storage).buffer
      for (let k = start; k < start + f.width; k++) if (buffer[k] !== there[k]) return false
      return true
    }
  }
  return storage
}

/** The variable `unchanged` was asked about, from a backend's variables by name. */
export function variableNamed<F>(byName: ReadonlyMap<string, F>, name: string): F {
  const f = byName.get(name)
  if (f === undefined) throw new RangeError(`unchanged: no variable ${name}`)
  return f
}

/** Which of a variable's values `unchanged` compares: node `node`'s (0-based) for a node variable, the only one (0) else. */
export function nodeIndex(scope: string, name: string, node: number | undefined): number {
  if (scope !== "node") return 0
  if (node === undefined) throw new RangeError(`unchanged: ${name} is a node variable: say which node`)
  return node - 1
}
