/** Why a cdc operation failed. Each leaves the state it names as it was. */
import { Data } from "effect"

/** The copy is down: it answers no request (observe-seqno, a stream request to the active). */
export class CopyDown extends Data.TaggedError("CopyDown")<{ readonly copy: number }> {}

/** The stream is closed (its connection lost, its source crashed, or never opened). */
export class StreamClosed extends Data.TaggedError("StreamClosed")<{ readonly stream: number }> {}

/** The stream has nothing to send now: it is inside no snapshot, or its source has nothing past its position. */
export class NothingToSend extends Data.TaggedError("NothingToSend")<{ readonly position: number; readonly reason: string }> {}

/** A marker asked for an end that is no consistent point of the source (or not past the stream's position). */
export class NotAnEnd extends Data.TaggedError("NotAnEnd")<{ readonly end: number }> {}

/** The consumer's rollback mitigation holds the next event back: its seqno is not persisted on every copy, on the stream's branch. */
export class MitigationHolds extends Data.TaggedError("MitigationHolds")<{ readonly seqno: number; readonly view: number }> {}

/** The consumer cannot take the step in its state (e.g. nothing received to apply, the stream already open). */
export class ConsumerBusy extends Data.TaggedError("ConsumerBusy")<{ readonly step: string; readonly reason: string }> {}

/** The checkpoint store could not be read or written. */
export class StoreFailed extends Data.TaggedError("StoreFailed")<{ readonly op: string; readonly reason: string }> {}
