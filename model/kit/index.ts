/**
 * The model kit: how a protocol is written. Declare the state once (`defineState`), write the
 * actions as chains of choices, guards and an effect (`State.action`), the invariants as
 * predicates of typed views (`State.invariant`, `State.stepInvariant`), and register it all with
 * one `defineProtocol` call. The search runs on packed bytes; the views read and write them.
 *
 * This module is the public API of `replcheck/kit`; models outside the repository import it.
 */
export { arrayOf, bool, nodeId, nodeOrNone, nodeSet, oneOf, range, record, seqOf, setOf, uint } from "./types.js"
export type { ArrayType, BoolType, Code, Enum, EnumType, NodeType, RangeType, RecordType, ScalarType, SeqType, SetType, Type, UIntType, ValueOf, ViewValue } from "./types.js"
export { defineState, ghost, global, perNode } from "./state.js"
export type { Accessor, ArrayAccessor, Declaration, ReadableOf, ReadableState, FieldDecl, InitView, NextView, PreView, SeqAccessor, SetAccessor, StateDef, StateLayout, StateView } from "./state.js"
export { action, between, nodes, nodeSets, subsetsOf } from "./action.js"
export type { Action, ActionBuilder, Domain, Explanation, Message } from "./action.js"
export { invariant, stepInvariant } from "./invariant.js"
export { eventually, leadsTo, leadsToEach } from "./temporal.js"
export type { FairnessDecl, TemporalDecl } from "./temporal.js"
export type { AnyInvariant, InvariantDecl, StepInvariantDecl } from "./invariant.js"
export { BASE_VARIANT, defineProtocol, extendAction, replaceAction } from "./protocol.js"
export type { KitModel, Protocol, ProtocolSpec, TraceMapping, ValueModel, VariantDecl } from "./protocol.js"
export type { ValueState } from "./values.js"
export type { ValueFamily } from "./action.js"
export { countNodes, hasNode, nodeBit, nodeIds } from "./nodes.js"
export { unchanged } from "./unchanged.js"
