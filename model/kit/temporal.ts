/** Temporal properties and fairness as a protocol declares them (compiled by defineProtocol; checked by engine/liveness.ts). */

/** `P ~> Q`, or `<>Q` (from every initial state); per node: `\A i : P(i) ~> Q(i)`, i a node id. */
export interface TemporalDecl<S> {
  readonly kind: "leadsTo" | "eventually"
  readonly name: string
  readonly description: string
  readonly perNode: boolean
  readonly p: (s: S, i: number) => boolean
  readonly q: (s: S, i: number) => boolean
}

/**
 * Fairness by action name, as TLA+'s WF_vars / SF_vars: "Enter" is the family as one action (some
 * instance of it), "Enter(i)" each instance of its first, node argument apart (`\A i : WF(Enter(i))`).
 */
export interface FairnessDecl {
  readonly weak?: readonly string[]
  readonly strong?: readonly string[]
}

export const leadsTo = <S>(name: string, description: string, p: (s: S) => boolean, q: (s: S) => boolean): TemporalDecl<S> => ({ kind: "leadsTo", name, description, perNode: false, p, q })

export const leadsToEach = <S>(name: string, description: string, p: (s: S, i: number) => boolean, q: (s: S, i: number) => boolean): TemporalDecl<S> => ({
  kind: "leadsTo",
  name,
  description,
  perNode: true,
  p,
  q
})

export const eventually = <S>(name: string, description: string, q: (s: S) => boolean): TemporalDecl<S> => ({ kind: "eventually", name, description, perNode: false, p: () => true, q })
