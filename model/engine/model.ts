/**
 * The model-definition API: what a protocol module hands the explorer.
 *
 * A state is a fixed-width byte vector (see `Model.widthBytes`) so successor generation,
 * fingerprinting and the seen set never allocate per state; each protocol also gives a codec
 * between those bytes and a readable value (the form ITF traces and implementation traces carry).
 * Everything here must be deterministic: the same state always yields the same successors in
 * the same order, which is what lets a counterexample be replayed from its action ordinals.
 */

/** Receives the successors of one state while an action family enumerates its instances. */
export interface Successors {
  /** A scratch copy of the state being expanded: mutate it, then call `emit`. */
  next(): Uint8Array
  /**
   * Reports the scratch state as one successor, with the action instance's arguments (node ids,
   * chosen values, bitmasks for subsets). The arguments are read only when a trace is replayed.
   */
  emit(a?: number, b?: number, c?: number, d?: number): void
}

/** A named action with parameters, e.g. `AppendOplog(i, j)`; one call enumerates every instance. */
export interface ActionFamily {
  readonly name: string
  /** Parameter names, in the order `emit` receives their values. */
  readonly params: readonly string[]
  /** What each parameter is, when the model says: a node id, a set of node ids (a bitmask), or an integer. */
  readonly paramKinds?: ReadonlyArray<"node" | "nodeSet" | "int">
  expand(state: Uint8Array, out: Successors): void
  /** Renders emitted arguments for traces, e.g. a subset bitmask as a set of node ids. */
  describe(args: readonly number[]): Record<string, unknown>
  /**
   * Optional, for diagnostics: why no instance with these arguments (by parameter name, node ids
   * 1-based, node sets as arrays; absent ones are free) is enabled in `state`, naming the guard
   * that fails (a stable code and a message), or null when one is.
   */
  explain?(state: Uint8Array, args: Readonly<Record<string, unknown>>): { readonly code: string; readonly message: string } | null
}

/** A predicate every reachable state must satisfy. */
export interface StateInvariant {
  readonly name: string
  readonly description: string
  holds(state: Uint8Array): boolean
  /** Optional, for counterexamples: in a state where it does not hold, what makes it false (the nodes and values). */
  witness?(state: Uint8Array): string
}

/** A predicate every step (before, after) must satisfy. */
export interface StepInvariant {
  readonly name: string
  readonly description: string
  holds(before: Uint8Array, after: Uint8Array): boolean
  /** Optional, for counterexamples: on a step where it does not hold, what makes it false. */
  witness?(before: Uint8Array, after: Uint8Array): string
}

/**
 * A temporal property (checked by liveness.ts under the model's fairness): `P ~> Q` (every state
 * where P holds is followed, on every fair behavior, by one where Q holds) or `<>Q` (every fair
 * behavior from an initial state reaches Q). `instances` is 1, or the node count for a property
 * stated per node (`\A i : P(i) ~> Q(i)`); p and q then take the node id as `k`.
 */
export interface TemporalProperty {
  readonly name: string
  readonly description: string
  readonly kind: "leadsTo" | "eventually"
  readonly instances: number
  p(state: Uint8Array, k: number): boolean
  q(state: Uint8Array, k: number): boolean
}

/**
 * Fairness of action families, as TLA+'s WF_vars and SF_vars: each entry is a family (by index)
 * taken as one action (`\E` over its arguments), or per value of its first, node argument
 * (`\A i : WF_vars(A(i))`).
 */
export interface Fairness {
  readonly weak: ReadonlyArray<{ readonly family: number; readonly perNode: boolean }>
  readonly strong: ReadonlyArray<{ readonly family: number; readonly perNode: boolean }>
}

/**
 * Converts between packed states and their readable form (what ITF traces write). Plain code, so
 * worker threads can build models without loading Effect.
 */
export interface StateCodec<S> {
  /** The variables that are functions of a node id, for traces grouped by node. */
  readonly nodeVariables: readonly string[]
  /** The variables whose values (at a node, for node variables) are sets, compared without order. */
  readonly setVariables?: readonly string[]
  decode(bytes: Uint8Array): S
  /** Writes `state` into `into` (widthBytes long, zeroed first by the caller). */
  encode(state: S, into: Uint8Array): void
}

/** One protocol, one variant, one configuration: everything the explorer needs. */
export interface Model<S = any> {
  readonly protocol: string
  readonly variant: string
  /** Bytes per packed state; a multiple of 4. Unused bytes must be kept zero. */
  readonly widthBytes: number
  readonly families: readonly ActionFamily[]
  readonly stateInvariants: readonly StateInvariant[]
  readonly stepInvariants: readonly StepInvariant[]
  initialStates(): readonly Uint8Array[]
  /** The state constraint: successors outside it are checked but not explored. */
  constraint(state: Uint8Array): boolean
  /**
   * Symmetry reduction: writes the canonical member of `src`'s orbit into `dst`. Two states are
   * symmetric exactly when their canonical forms are equal byte for byte.
   */
  readonly canonicalize?: (src: Uint8Array, dst: Uint8Array) => void
  readonly codec: StateCodec<S>
  /**
   * Buffers the search should expand states in (`src`) and build successors in (`next`),
   * widthBytes long and 4-byte aligned: a model whose accessors read fixed buffers runs
   * fastest when the search uses exactly those. Absent: the search uses its own.
   */
  readonly buffers?: { readonly src: Uint8Array; readonly next: Uint8Array }
  /** Temporal properties (liveness.ts); none when absent. */
  readonly temporalProperties?: readonly TemporalProperty[]
  /** The fairness the temporal properties are checked under; none (stuttering allowed anywhere) when absent. */
  readonly fairness?: Fairness
  /** Node ids are 1..nodeCount (the per-node fairness and properties range over them). */
  readonly nodeCount?: number
}

/** What a worker thread needs to build the same model as the coordinator. */
export interface ModelRef {
  readonly protocol: string
  /** The compiled module that defines the protocol, when it is not one of the registry's. */
  readonly source?: string
  readonly variant: string
  readonly config: Record<string, number>
  readonly symmetry: boolean
}
