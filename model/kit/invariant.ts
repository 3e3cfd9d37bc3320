/** Invariants as a protocol declares them, over typed state views (compiled by defineProtocol). */

/** A state invariant: a predicate every reachable state satisfies. */
export interface InvariantDecl<S> {
  readonly kind: "state"
  readonly name: string
  readonly description: string
  readonly holds: (s: S) => boolean
  /** In a state where `holds` is false: what makes it false, in words (the nodes and values), for counterexamples. */
  readonly witness?: (s: S) => string
}

/** A step invariant: a predicate of every step (the states before and after it). */
export interface StepInvariantDecl<S> {
  readonly kind: "step"
  readonly name: string
  readonly description: string
  readonly holds: (before: S, after: S) => boolean
  /** On a step where `holds` is false: what makes it false, in words, for counterexamples. */
  readonly witness?: (before: S, after: S) => string
}

export type AnyInvariant<S> = InvariantDecl<S> | StepInvariantDecl<S>

export const invariant = <S>(name: string, description: string, holds: (s: S) => boolean, witness?: (s: S) => string): InvariantDecl<S> => ({
  kind: "state",
  name,
  description,
  holds,
  ...(witness ? { witness } : {})
})

export const stepInvariant = <S>(name: string, description: string, holds: (before: S, after: S) => boolean, witness?: (before: S, after: S) => string): StepInvariantDecl<S> => ({
  kind: "step",
  name,
  description,
  holds,
  ...(witness ? { witness } : {})
})
