/** Invariants as a protocol declares them, over typed state views (compiled by defineProtocol). */

/** A state invariant: a predicate every reachable state satisfies. */
export interface InvariantDecl<S> {
  readonly kind: "state"
  readonly name: string
  readonly description: string
  readonly holds: (s: S) => boolean
}

/** A step invariant: a predicate of every step (the states before and after it). */
export interface StepInvariantDecl<S> {
  readonly kind: "step"
  readonly name: string
  readonly description: string
  readonly holds: (before: S, after: S) => boolean
}

export type AnyInvariant<S> = InvariantDecl<S> | StepInvariantDecl<S>

export const invariant = <S>(name: string, description: string, holds: (s: S) => boolean): InvariantDecl<S> => ({ kind: "state", name, description, holds })

export const stepInvariant = <S>(name: string, description: string, holds: (before: S, after: S) => boolean): StepInvariantDecl<S> => ({
  kind: "step",
  name,
  description,
  holds
})
