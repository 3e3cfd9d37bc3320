--------------------------------- MODULE CDC ---------------------------------
(***************************************************************************)
(* A change-stream consumer that must survive its source's rollbacks       *)
(* (spec/adr/0004-change-stream-rollback.md): one Couchbase vBucket, its    *)
(* copies (an active and replicas) and one DCP consumer shaped like go-dcp, *)
(* with go-dcp's rollback mitigation. The copies take writes (on the        *)
(* active), replicate by DCP snapshots of deduplicated mutations, persist,  *)
(* crash, fail over and restart uncleanly, each of the last two a new       *)
(* branch in the failover log. The consumer requests a stream with its      *)
(* checkpoint, is answered resume or rollback by the producer (kv_engine's  *)
(* FailoverTable::needsRollback), receives snapshot markers and mutations,  *)
(* applies and acknowledges them, checkpoints, observes persistence, loses  *)
(* its connection and crashes. replcheck's model model/protocols/cdc/ is    *)
(* the executable twin of this module: at the same bounds and rules both    *)
(* count the same states.                                                   *)
(*                                                                         *)
(* Branching effects are written with IF-THEN-ELSE, not disjunctions, so   *)
(* TLC generates one successor per action instance, as replcheck counts.   *)
(* A guard that is a disjunction, or that a rule switches off, is an       *)
(* implication or a condition of an IF: TLC branches on a disjunction (and *)
(* on an \E) in an action even when it is a state predicate, and would    *)
(* generate the successor more than once. Only the parameters of an action *)
(* are \E in Next; everything computed from the state (the producer's      *)
(* answer, the next seqno a snapshot sends, the mitigation's reading) is a *)
(* LET.                                                                    *)
(*                                                                         *)
(* Locality: a producer decides from its own failover log and high seqno   *)
(* and the request; the consumer from its own variables and what it is     *)
(* sent (the stream's messages, the failover log that comes with an        *)
(* answer, and the persisted seqno and UUID observe-seqno reports for each *)
(* copy). A replica's stream reads the active's storage as the DCP         *)
(* messages the active sends it. There is no ghost state: the invariants   *)
(* compare the sink's latest mutation of each key with the active's        *)
(* storage.                                                                *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets

CONSTANTS
    Nodes,          \* 1..N: the copies of the vBucket; copy 1 is the first active
    MaxSeqno,       \* the highest seqno a history reaches (writes stop there)
    Keys,           \* keys written are 1..Keys (a snapshot sends only each key's last mutation in its range)
    MaxFailovers    \* new branches (failovers and unclean restarts of the active) allowed

\* The design choices the variants change (CdcRules in model/protocols/cdc/actions.ts; the base
\* values are baseCdcRules, which MCCDC.cfg gives).
CONSTANTS
    Decide,                    \* the producer's answer to a stream request: "kv_engine" (needsRollback),
                               \* "ignore-vbuuid" (resume on its own branch whatever UUID is asked), or
                               \* "branch-end" (roll back to where the asked branch ended, ignoring snapshots)
    Mitigation,                \* "persisted": deliver only what every copy has persisted; or "off"
    AbsentCopies,              \* the mitigation leaves out copies absent from the cluster map ("ignore")
                               \* or waits for them ("count")
    ViewPerBranch,             \* the mitigation's view belongs to the branch it was observed on (else one
                               \* view that only rises)
    BranchAtSnapshotStart,     \* a copy that persisted part of a snapshot branches at that snapshot's
                               \* start (else at its last consistent point below it)
    OnRollback,                \* the consumer told to roll back: "consistent", "truncate-to-seqno",
                               \* "redeliver" or "catch-up"
    DropUnappliedOnReconnect,  \* a new stream drops what an earlier one sent and was not applied yet
                               \* (else it is applied after the reconnect)
    AckOnReceive,              \* a mutation is acknowledged when received (else once applied)
    AckOwnSnapshot,            \* an acknowledgement records the snapshot the mutation came in (else the
                               \* one the stream is in when it is applied)
    SendSnapshotRange          \* the request carries the snapshot the consumer is in (else its seqno as
                               \* both ends)

ASSUME
    /\ Decide \in {"kv_engine", "ignore-vbuuid", "branch-end"}
    /\ Mitigation \in {"off", "persisted"}
    /\ AbsentCopies \in {"ignore", "count"}
    /\ OnRollback \in {"consistent", "truncate-to-seqno", "redeliver", "catch-up"}
    /\ {ViewPerBranch, BranchAtSnapshotStart, DropUnappliedOnReconnect, AckOnReceive, AckOwnSnapshot,
        SendSnapshotRange} \subseteq BOOLEAN

VARIABLES
    \* The copies (per copy, except the last two).
    role,               \* "Replica", "Active" or "Down"
    stored,             \* the mutation stored at each seqno 1..MaxSeqno: [key, branch] (key 0: nothing
                        \* there: never written, or deduplicated away in a snapshot the copy received)
    high,               \* its high seqno
    persisted,          \* its persisted seqno
    snapshot,           \* [start, end]: the snapshot it is receiving (an active's: its own high seqno,
                        \* its writes being complete snapshots)
    persistedSnapshot,  \* [start, end]: the snapshot recorded with its last flush (what a restart or
                        \* a promotion finds on disk)
    ends,               \* the seqnos at which its storage is a consistent point (the end of a
                        \* snapshot it holds whole): a producer cuts snapshots only there, and a
                        \* rollback goes back to one
    failoverLog,        \* its failover log, newest first: <<[uuid, seqno], ...>>, one entry per branch
    failedOver,         \* failed over while down: absent from the cluster map until it restarts
    active,             \* the cluster map's active copy
    branches,           \* branch UUIDs handed out so far (a new branch takes the next)
    \* The consumer.
    stream,             \* [state, source, uuid, position, snapStart, snapEnd, first]: its stream, the
                        \* branch it is on, its position, the snapshot it is in, and whether the
                        \* first marker is still to come (source 0: none)
    received,           \* [seqno, key, branch, uuid, snapStart, snapEnd]: a mutation received and not
                        \* yet applied (key 0: none), with the stream branch and snapshot it came in
    offset,             \* [uuid, seqno, snapStart, snapEnd]: the last acknowledged position (memory)
    checkpoint,         \* [uuid, seqno, snapStart, snapEnd]: the durable checkpoint it restarts from
    consistent,         \* the end of the last snapshot it received and applied whole (memory)
    catchup,            \* after a rollback, events at or below this seqno are dropped (go-dcp's catch-up)
    persistView,        \* the highest seqno the mitigation has seen persisted on every copy ...
    persistViewBranch,  \* ... and the branch the copies were on then
    sink                \* the mutation applied at each seqno 1..MaxSeqno (key 0: none); durable

copyVars == <<role, stored, high, persisted, snapshot, persistedSnapshot, ends, failoverLog,
              failedOver, active, branches>>
consumerVars == <<stream, received, offset, checkpoint, consistent, catchup, persistView,
                  persistViewBranch, sink>>
vars == <<copyVars, consumerVars>>

\* Branch UUIDs are 1..MaxBranch (the first history is 1); 0 is "none". The failover log holds
\* at most MaxBranch entries.
MaxBranch == MaxFailovers + 1

Seqnos == 1..MaxSeqno

\* Nothing stored (or applied) at a seqno.
NoMutation == [key |-> 0, branch |-> 0]

ClosedStream == [state |-> "Closed", source |-> 0, uuid |-> 0, position |-> 0,
                 snapStart |-> 0, snapEnd |-> 0, first |-> FALSE]

NothingReceived == [seqno |-> 0, key |-> 0, branch |-> 0, uuid |-> 0, snapStart |-> 0, snapEnd |-> 0]

NoPoint == [uuid |-> 0, seqno |-> 0, snapStart |-> 0, snapEnd |-> 0]

\* Copy 1 active on branch 1 (failover log <<(1, 0)>>), every copy with it, nothing written; the
\* consumer has seen nothing.
Init ==
    /\ role = [c \in Nodes |-> IF c = 1 THEN "Active" ELSE "Replica"]
    /\ stored = [c \in Nodes |-> [k \in Seqnos |-> NoMutation]]
    /\ high = [c \in Nodes |-> 0]
    /\ persisted = [c \in Nodes |-> 0]
    /\ snapshot = [c \in Nodes |-> [start |-> 0, end |-> 0]]
    /\ persistedSnapshot = [c \in Nodes |-> [start |-> 0, end |-> 0]]
    /\ ends = [c \in Nodes |-> {}]
    /\ failoverLog = [c \in Nodes |-> <<[uuid |-> 1, seqno |-> 0]>>]
    /\ failedOver = [c \in Nodes |-> FALSE]
    /\ active = 1
    /\ branches = 1
    /\ stream = ClosedStream
    /\ received = NothingReceived
    /\ offset = NoPoint
    /\ checkpoint = NoPoint
    /\ consistent = 0
    /\ catchup = 0
    /\ persistView = 0
    /\ persistViewBranch = 0
    /\ sink = [k \in Seqnos |-> NoMutation]

-----------------------------------------------------------------------------
(* Helpers *)

Min(S) == CHOOSE x \in S : \A y \in S : x <= y
Max(S) == CHOOSE x \in S : \A y \in S : y <= x

\* Storage (or a sink) arr without its mutations above seqno k.
Truncated(arr, k) == [j \in Seqnos |-> IF j > k THEN NoMutation ELSE arr[j]]

\* The UUID of copy c's newest failover-log entry: the branch it is on.
BranchOf(c) == failoverLog[c][1].uuid

ActiveUp == role[active] = "Active"

\* Replica r is up and on the active's branch: its DCP stream from the active is established.
Streaming(r) == role[r] = "Replica" /\ ActiveUp /\ BranchOf(r) = BranchOf(active)

\* The highest consistent point of copy c at or below seqno k (0 if none: the empty history is one).
EndAtOrBelow(c, k) == Max({j \in ends[c] : j <= k} \cup {0})

\* The newest entry of copy c's failover log at or below seqno k (0: none).
UuidAtOrBelow(c, k) ==
    LET at == {j \in 1..Len(failoverLog[c]) : failoverLog[c][j].seqno <= k}
    IN  IF at = {} THEN 0 ELSE failoverLog[c][Min(at)].uuid

\* Where branch uuid ends on copy c: the next newer failover-log entry's seqno, or c's high seqno
\* for the branch it is on (-1: not in its log).
BranchEnd(c, uuid) ==
    LET at == {j \in 1..Len(failoverLog[c]) : failoverLog[c][j].uuid = uuid}
    IN  IF at = {} THEN -1
        ELSE IF Min(at) = 1 THEN high[c]
        ELSE failoverLog[c][Min(at) - 1].seqno

(***************************************************************************)
(* The producer's answer to a stream request: Resume, or the seqno to roll *)
(* back to. It reads only copy c's failover log and high seqno.            *)
(***************************************************************************)
Resume == -1

\* kv_engine's FailoverTable::needsRollback, as its DCP rollback documentation states it: a request
\* from seqno 0 never rolls back; a UUID not in the failover log rolls back to 0; else upper is
\* where that branch ended. A requester at its snapshot's start holds none of it (its snapshot
\* counts as ending at its start); a snapshot ending at or below upper resumes. Otherwise roll
\* back to upper, or to the snapshot's start if the requester is inside a snapshot that crosses
\* it (a partial snapshot is no consistent point; a requester at its snapshot's end holds it whole).
NeedsRollback(c, req) ==
    IF req.start = 0 THEN Resume
    ELSE LET upper == BranchEnd(c, req.uuid)
         IN  IF upper < 0 THEN 0
             ELSE LET snapEnd == IF req.start = req.snapStart THEN req.start ELSE req.snapEnd
                  IN  IF snapEnd <= upper THEN Resume
                      ELSE LET snapStart == IF req.start = snapEnd THEN req.start ELSE req.snapStart
                           IN  IF upper < snapStart THEN upper ELSE snapStart

\* The rule Decide selects (the variants resume-ignoring-vbuuid and rollback-to-branch-end).
Answer(c, req) ==
    CASE Decide = "kv_engine" -> NeedsRollback(c, req)
      \* A producer that takes any request as one for its current branch.
      [] Decide = "ignore-vbuuid" -> NeedsRollback(c, [req EXCEPT !.uuid = BranchOf(c)])
      \* A producer that rolls back to where the asked branch ended, whatever snapshot the
      \* requester is in.
      [] Decide = "branch-end" ->
            IF req.start = 0 THEN Resume
            ELSE LET upper == BranchEnd(c, req.uuid)
                 IN  IF upper < 0 THEN 0 ELSE IF req.start <= upper THEN Resume ELSE upper

(***************************************************************************)
(* Snapshots: a producer sends a marker [from, to] and then, of the        *)
(* mutations it stores in that range, only each key's last one            *)
(* (deduplication).                                                        *)
(***************************************************************************)

\* Is the mutation copy c stores at seqno k its key's last one up to seqno to?
LastOfKey(c, k, to) == \A j \in k + 1..to : stored[c][j].key # stored[c][k].key

\* The next seqno a snapshot [from, to] of copy c's storage sends after seqno after: the next
\* stored mutation, at or above from, that is its key's last in the range; to itself when none is
\* left (the stream then advances to the snapshot's end).
NextInSnapshot(c, from, to, after) ==
    LET sent == {k \in after + 1..to : stored[c][k].key # 0 /\ k >= from /\ LastOfKey(c, k, to)}
    IN  IF sent = {} THEN to ELSE Min(sent)

(***************************************************************************)
(* A new branch on copy c (a promotion, or an active back from an unclean  *)
(* shutdown), after kv_engine's KVBucket::setVBucketState and warmup: it   *)
(* begins at the end of the snapshot the copy persisted if it persisted    *)
(* all of it, else at that snapshot's start (BranchAtSnapshotStart, as     *)
(* kv_engine did before MB-35003) or at the copy's last consistent point   *)
(* below its persisted seqno (as kv_engine does since). Entries above that seqno leave the log and the new one *)
(* goes first (FailoverTable::createEntry); the log keeps MaxBranch        *)
(* entries. As an active, its high seqno is taken as a consistent point    *)
(* (its writes are complete snapshots).                                    *)
(***************************************************************************)
NewBranch(c) ==
    LET uuid == branches + 1
        whole == persisted[c] = persistedSnapshot[c].end
        at == IF whole THEN persistedSnapshot[c].end
              ELSE IF BranchAtSnapshotStart THEN persistedSnapshot[c].start
              ELSE EndAtOrBelow(c, persisted[c])
        kept == SelectSeq(failoverLog[c], LAMBDA e : e.seqno <= at)
    IN  /\ failoverLog' = [failoverLog EXCEPT ![c] =
                              <<[uuid |-> uuid, seqno |-> at]>> \o SubSeq(kept, 1, Min({Len(kept), MaxBranch - 1}))]
        /\ branches' = uuid
        /\ snapshot' = [snapshot EXCEPT ![c] = [start |-> high[c], end |-> high[c]]]
        /\ ends' = IF high[c] > 0 THEN [ends EXCEPT ![c] = @ \cup {high[c]}] ELSE ends

(***************************************************************************)
(* The consumer's bookkeeping                                              *)
(***************************************************************************)

\* Does the consumer keep its sink and its checkpoint in one store and truncate the sink on a
\* rollback (and back to its checkpoint on a restart)? "redeliver" and "catch-up" leave the sink
\* as it is, as go-dcp does (it never tells the sink about a rollback).
Truncates == OnRollback \in {"consistent", "truncate-to-seqno"}

\* go-dcp's setOffset: the acknowledged offset never moves back.
Acked(uuid, at, snapStart, snapEnd) ==
    IF at <= offset.seqno THEN offset
    ELSE [uuid |-> uuid, seqno |-> at, snapStart |-> snapStart, snapEnd |-> snapEnd]

\* The mitigation lets seqno k out: it is persisted on every copy (as last observed), on the branch
\* the stream is on when the view is kept per branch.
MitigationAllows(k) ==
    Mitigation = "persisted" =>
        /\ k <= persistView
        /\ ViewPerBranch => persistViewBranch = stream.uuid

-----------------------------------------------------------------------------
(* The copies *)

\* A client writes key on the active: the next seqno, on the active's branch. Each write is a
\* complete snapshot of its own.
Write(key) ==
    LET c == active
        seq == high[active] + 1
    IN  /\ ActiveUp
        /\ high[c] < MaxSeqno
        /\ stored' = [stored EXCEPT ![c][seq] = [key |-> key, branch |-> BranchOf(c)]]
        /\ high' = [high EXCEPT ![c] = seq]
        /\ snapshot' = [snapshot EXCEPT ![c] = [start |-> seq, end |-> seq]]
        /\ ends' = [ends EXCEPT ![c] = @ \cup {seq}]
        /\ UNCHANGED <<role, persisted, persistedSnapshot, failoverLog, failedOver, active, branches>>
        /\ UNCHANGED consumerVars

\* A replica on another branch than the active's is a DCP consumer of it: it sends the active a
\* stream request (its branch, high seqno and snapshot), rolls its storage back if told to, and
\* takes the active's failover log. Told to roll back, it goes back to its consistent point at or
\* below the rollback seqno; resumed inside a snapshot of its old producer, it drops that
\* snapshot's items (back to the seqno before its start) and takes it again from the new one.
ReplicaHandshake(r) ==
    /\ role[r] = "Replica"
    /\ ActiveUp
    /\ BranchOf(r) # BranchOf(active)
    /\ LET decision == Answer(active, [uuid |-> BranchOf(r), start |-> high[r],
                                       snapStart |-> snapshot[r].start, snapEnd |-> snapshot[r].end])
           to == IF decision # Resume THEN EndAtOrBelow(r, Min({decision, high[r]}))
                 ELSE IF high[r] < snapshot[r].end THEN snapshot[r].start - 1
                 ELSE Resume
       IN  IF to # Resume
           THEN /\ stored' = [stored EXCEPT ![r] = Truncated(@, to)]
                /\ high' = [high EXCEPT ![r] = to]
                /\ ends' = [ends EXCEPT ![r] = {k \in @ : k <= to}]
                /\ persisted' = [persisted EXCEPT ![r] = IF @ > to THEN to ELSE @]
                /\ snapshot' = [snapshot EXCEPT ![r] = [start |-> to, end |-> to]]
                /\ persistedSnapshot' = [persistedSnapshot EXCEPT ![r] =
                                            IF @.end > to THEN [start |-> to, end |-> to] ELSE @]
           ELSE UNCHANGED <<stored, high, ends, persisted, snapshot, persistedSnapshot>>
    /\ failoverLog' = [failoverLog EXCEPT ![r] = failoverLog[active]]
    /\ UNCHANGED <<role, failedOver, active, branches>>
    /\ UNCHANGED consumerVars

\* The active sends replica r, at a snapshot's end, the marker of its next snapshot: it ends at
\* one of the active's consistent points above r's high seqno.
ReplicaMarker(r, end) ==
    /\ Streaming(r)
    /\ high[r] = snapshot[r].end
    /\ end \in high[r] + 1..high[active]
    /\ end \in ends[active]
    /\ snapshot' = [snapshot EXCEPT ![r] = [start |-> high[r] + 1, end |-> end]]
    /\ UNCHANGED <<role, stored, high, persisted, persistedSnapshot, ends, failoverLog,
                   failedOver, active, branches>>
    /\ UNCHANGED consumerVars

\* The active sends replica r the next mutation of its snapshot (deduplicated), or the snapshot's
\* end with nothing there; at the end r holds the snapshot whole, a consistent point.
ReplicaReceive(r) ==
    /\ Streaming(r)
    /\ high[r] < snapshot[r].end
    /\ LET k == NextInSnapshot(active, snapshot[r].start, snapshot[r].end, high[r])
       IN  /\ stored' = [stored EXCEPT ![r][k] = stored[active][k]]
           /\ high' = [high EXCEPT ![r] = k]
           /\ ends' = IF k = snapshot[r].end THEN [ends EXCEPT ![r] = @ \cup {k}] ELSE ends
    /\ UNCHANGED <<role, persisted, snapshot, persistedSnapshot, failoverLog, failedOver,
                   active, branches>>
    /\ UNCHANGED consumerVars

\* Copy c flushes everything it holds. The flush records the snapshot its last item belongs to (a
\* marker with no item yet: the previous snapshot, complete at the high seqno).
Persist(c) ==
    /\ role[c] # "Down"
    /\ persisted[c] < high[c]
    /\ persisted' = [persisted EXCEPT ![c] = high[c]]
    /\ persistedSnapshot' = [persistedSnapshot EXCEPT ![c] =
                                IF snapshot[c].start > high[c] THEN [start |-> high[c], end |-> high[c]]
                                ELSE snapshot[c]]
    /\ UNCHANGED <<role, stored, high, snapshot, ends, failoverLog, failedOver, active, branches>>
    /\ UNCHANGED consumerVars

\* Copy c crashes: what it had not persisted is lost, and it is back in the snapshot it persisted.
\* A stream from it breaks.
Crash(c) ==
    /\ role[c] # "Down"
    /\ role' = [role EXCEPT ![c] = "Down"]
    /\ stored' = [stored EXCEPT ![c] = Truncated(@, persisted[c])]
    /\ high' = [high EXCEPT ![c] = persisted[c]]
    /\ ends' = [ends EXCEPT ![c] = {k \in @ : k <= persisted[c]}]
    /\ snapshot' = [snapshot EXCEPT ![c] = persistedSnapshot[c]]
    /\ stream' = IF stream.state = "Open" /\ stream.source = c THEN ClosedStream ELSE stream
    /\ UNCHANGED <<persisted, persistedSnapshot, failoverLog, failedOver, active, branches>>
    /\ UNCHANGED <<received, offset, checkpoint, consistent, catchup, persistView,
                   persistViewBranch, sink>>

\* Copy c comes back (into the cluster map, if it was failed over): as a replica, or, if it is
\* still the map's active, as the active back from an unclean shutdown, on a new branch.
Restart(c) ==
    /\ role[c] = "Down"
    /\ active = c => branches < MaxBranch
    /\ failedOver' = [failedOver EXCEPT ![c] = FALSE]
    /\ IF active # c
       THEN /\ role' = [role EXCEPT ![c] = "Replica"]
            /\ UNCHANGED <<failoverLog, branches, snapshot, ends>>
       ELSE /\ role' = [role EXCEPT ![c] = "Active"]
            /\ NewBranch(c)
    /\ UNCHANGED <<stored, high, persisted, persistedSnapshot, active>>
    /\ UNCHANGED consumerVars

\* The active is down: the cluster manager promotes up replica n, on a new branch, and the old
\* active leaves the cluster map until it restarts.
Failover(n) ==
    /\ ~ActiveUp
    /\ role[n] = "Replica"
    /\ branches < MaxBranch
    /\ failedOver' = [failedOver EXCEPT ![active] = TRUE]
    /\ active' = n
    /\ role' = [role EXCEPT ![n] = "Active"]
    /\ NewBranch(n)
    /\ UNCHANGED <<stored, high, persisted, persistedSnapshot>>
    /\ UNCHANGED consumerVars

-----------------------------------------------------------------------------
(* The consumer *)

\* The consumer requests a stream from the active with its offset (go-dcp's vbuuid, seqno and
\* snapshot; with SendSnapshotRange off, its seqno as both snapshot ends), and the producer
\* answers. Resume: the stream starts after the requested seqno, on the producer's current
\* branch; its first marker starts at the request's snapshot start (it may continue that
\* snapshot). Rollback to X: the stream stays closed, and the next request starts at the
\* rollback point, on the newest branch at or below it (the answer carries the failover log).
\* The rollback point is X itself, or, with OnRollback "consistent", the end of the snapshot
\* the consumer last applied whole if that is at or below X, else 0. go-dcp's catch-up drops
\* re-sent events up to the old position. A consumer that truncates moves its sink and its
\* checkpoint back together (one store). With DropUnappliedOnReconnect, whatever the answer, the
\* new stream drops what an earlier one sent and the consumer has not applied yet; otherwise that
\* mutation is still applied after the reconnect.
OpenStream ==
    /\ stream.state = "Closed"
    /\ ActiveUp
    /\ LET req == [uuid |-> offset.uuid, start |-> offset.seqno,
                   snapStart |-> IF SendSnapshotRange THEN offset.snapStart ELSE offset.seqno,
                   snapEnd |-> IF SendSnapshotRange THEN offset.snapEnd ELSE offset.seqno]
           decision == Answer(active, req)
           to == IF OnRollback = "consistent"
                 THEN IF consistent <= decision THEN consistent ELSE 0
                 ELSE decision
           point == [uuid |-> UuidAtOrBelow(active, to), seqno |-> to, snapStart |-> to, snapEnd |-> to]
       IN  /\ received' = IF DropUnappliedOnReconnect THEN NothingReceived ELSE received
           /\ IF decision = Resume
              THEN /\ stream' = [state |-> "Open", source |-> active, uuid |-> BranchOf(active),
                                 position |-> req.start, snapStart |-> req.snapStart,
                                 snapEnd |-> req.start, first |-> TRUE]
                   /\ UNCHANGED <<offset, checkpoint, consistent, catchup, sink>>
              ELSE /\ offset' = point
                   /\ catchup' = IF OnRollback = "catch-up" THEN req.start ELSE catchup
                   /\ IF Truncates
                      THEN /\ sink' = Truncated(sink, to)
                           /\ consistent' = to
                           /\ checkpoint' = point
                      ELSE UNCHANGED <<sink, consistent, checkpoint>>
                   /\ UNCHANGED stream
    /\ UNCHANGED <<persistView, persistViewBranch>>
    /\ UNCHANGED copyVars

\* At a snapshot's end the stream's source sends the next marker: it ends at one of the source's
\* consistent points above the position, and the mitigation must let its start out. A snapshot
\* starts after the last one sent (a memory snapshot starts at its checkpoint's start, MB-50333);
\* the first after a request starts at the request's snapshot start if that is lower.
SnapshotMarker(end) ==
    /\ stream.state = "Open"
    /\ stream.position = stream.snapEnd
    /\ end \in stream.position + 1..high[stream.source]
    /\ end \in ends[stream.source]
    /\ MitigationAllows(stream.position + 1)
    /\ LET next == stream.position + 1
       IN  stream' = [stream EXCEPT !.snapStart = IF stream.first /\ stream.snapStart < next
                                                  THEN stream.snapStart ELSE next,
                                    !.snapEnd = end,
                                    !.first = FALSE]
    /\ UNCHANGED <<received, offset, checkpoint, consistent, catchup, persistView,
                   persistViewBranch, sink>>
    /\ UNCHANGED copyVars

\* The source sends the next mutation of the snapshot (deduplicated), once the mitigation lets it
\* out, and the consumer, with nothing else to apply, takes it. Nothing to apply: the snapshot's
\* end with nothing stored there (the consumer is then at a consistent point), or an event at or
\* below go-dcp's catch-up seqno. With AckOnReceive the consumer acknowledges it at once.
Receive ==
    /\ stream.state = "Open"
    /\ stream.position < stream.snapEnd
    /\ received.key = 0
    /\ LET seq == NextInSnapshot(stream.source, stream.snapStart, stream.snapEnd, stream.position)
           key == stored[stream.source][seq].key
       IN  /\ MitigationAllows(seq)
           /\ stream' = [stream EXCEPT !.position = seq]
           /\ IF key = 0 \/ seq <= catchup
              THEN /\ consistent' = IF seq = stream.snapEnd THEN seq ELSE consistent
                   /\ UNCHANGED <<received, offset>>
              ELSE /\ received' = [seqno |-> seq, key |-> key,
                                   branch |-> stored[stream.source][seq].branch,
                                   uuid |-> stream.uuid, snapStart |-> stream.snapStart,
                                   snapEnd |-> stream.snapEnd]
                   /\ offset' = IF AckOnReceive
                                THEN Acked(stream.uuid, seq, stream.snapStart, stream.snapEnd)
                                ELSE offset
                   /\ UNCHANGED consistent
    /\ UNCHANGED <<checkpoint, catchup, persistView, persistViewBranch, sink>>
    /\ UNCHANGED copyVars

\* The listener applies the received mutation to the sink (the end of its snapshot: a consistent
\* point) and acknowledges it, with the branch and snapshot it came in (AckOwnSnapshot) or the
\* ones the stream is in now.
Apply ==
    /\ received.key # 0
    /\ LET seq == received.seqno
       IN  /\ sink' = [sink EXCEPT ![seq] = [key |-> received.key, branch |-> received.branch]]
           /\ consistent' = IF seq = received.snapEnd THEN seq ELSE consistent
           /\ offset' = IF AckOnReceive THEN offset
                        ELSE IF AckOwnSnapshot
                        THEN Acked(received.uuid, seq, received.snapStart, received.snapEnd)
                        ELSE Acked(stream.uuid, seq, stream.snapStart, stream.snapEnd)
    /\ received' = NothingReceived
    /\ UNCHANGED <<stream, checkpoint, catchup, persistView, persistViewBranch>>
    /\ UNCHANGED copyVars

\* go-dcp's periodic checkpoint: the acknowledged offset becomes durable.
SaveCheckpoint ==
    /\ checkpoint # offset
    /\ checkpoint' = offset
    /\ UNCHANGED <<stream, received, offset, consistent, catchup, persistView,
                   persistViewBranch, sink>>
    /\ UNCHANGED copyVars

\* go-dcp's rollback mitigation asks every copy in one step (observe-seqno) for its persisted seqno
\* and UUID, leaving out copies absent from the cluster map if AbsentCopies is "ignore". A copy it
\* does not leave out that is down answers nothing, and copies that disagree on the branch tell it
\* nothing (getMinSeqNo). Otherwise the lowest persisted seqno is its new view: on the branch
\* observed (ViewPerBranch: a view observed on another branch replaces it even if lower), or
\* only rising, whatever the branch (go-dcp's SetPersistSeqNo).
Observe ==
    /\ Mitigation # "off"
    /\ LET observed == {c \in Nodes : ~(AbsentCopies = "ignore" /\ failedOver[c])}
           safe == IF \/ observed = {}
                      \/ \E c \in observed : role[c] = "Down"
                      \/ Cardinality({BranchOf(c) : c \in observed}) > 1
                   THEN -1
                   ELSE Min({persisted[c] : c \in observed})
           branch == IF observed = {} THEN 0 ELSE BranchOf(Min(observed))
       IN  /\ safe >= 0
           /\ IF ViewPerBranch /\ branch # persistViewBranch THEN TRUE ELSE safe > persistView
           /\ IF ViewPerBranch
              THEN /\ persistView' = IF branch = persistViewBranch THEN Max({safe, persistView}) ELSE safe
                   /\ persistViewBranch' = branch
              ELSE /\ persistView' = safe
                   /\ UNCHANGED persistViewBranch
    /\ UNCHANGED <<stream, received, offset, checkpoint, consistent, catchup, sink>>
    /\ UNCHANGED copyVars

\* The consumer's connection to the producer breaks; what it received stays to be applied.
ConnectionLost ==
    /\ stream.state = "Open"
    /\ stream' = ClosedStream
    /\ UNCHANGED <<received, offset, checkpoint, consistent, catchup, persistView,
                   persistViewBranch, sink>>
    /\ UNCHANGED copyVars

\* The consumer crashes and restarts. Its memory is lost (the stream, what it received, its
\* offset, catch-up, the mitigation's view, its consistent point); the checkpoint and the sink
\* stay, and a sink that truncates goes back to the checkpoint (one store). Always enabled.
ConsumerRestart ==
    /\ sink' = IF Truncates THEN Truncated(sink, checkpoint.seqno) ELSE sink
    /\ stream' = ClosedStream
    /\ received' = NothingReceived
    /\ offset' = checkpoint
    /\ catchup' = 0
    /\ persistView' = 0
    /\ persistViewBranch' = 0
    /\ consistent' = 0
    /\ UNCHANGED checkpoint
    /\ UNCHANGED copyVars

Next ==
    \/ \E key \in 1..Keys : Write(key)
    \/ \E r \in Nodes : ReplicaHandshake(r)
    \/ \E r \in Nodes : \E end \in Seqnos : ReplicaMarker(r, end)
    \/ \E r \in Nodes : ReplicaReceive(r)
    \/ \E c \in Nodes : Persist(c)
    \/ \E c \in Nodes : Crash(c)
    \/ \E c \in Nodes : Restart(c)
    \/ \E n \in Nodes : Failover(n)
    \/ OpenStream
    \/ \E end \in Seqnos : SnapshotMarker(end)
    \/ Receive
    \/ Apply
    \/ SaveCheckpoint
    \/ Observe
    \/ ConnectionLost
    \/ ConsumerRestart

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Invariants (named in ADR 0004). They compare the consumer's sink with   *)
(* the surviving history, the active copy's storage, key by key: a         *)
(* mutation is its seqno, key and branch. A mutation a snapshot            *)
(* deduplicated is in neither, so each key's latest mutation is what the   *)
(* two can be compared on.                                                 *)
(***************************************************************************)

\* The stream is open on the active copy, which is up.
StreamingFromActive == stream.state = "Open" /\ stream.source = active /\ role[active] = "Active"

\* The seqno of copy c's latest stored mutation of key (0: none).
LatestStored(c, key) == Max({k \in 1..high[c] : stored[c][k].key = key} \cup {0})

\* The seqno of the sink's latest mutation of key (0: none).
LatestInSink(key) == Max({k \in Seqnos : sink[k].key = key} \cup {0})

\* Once the consumer has (re)connected, the latest mutation it holds of each key is in the
\* surviving history, or superseded there by a later one.
NoPhantomMutation ==
    StreamingFromActive =>
        \A key \in 1..Keys :
            LET k == LatestInSink(key)
            IN  \/ k = 0
                \/ LatestStored(active, key) > k
                \/ /\ k <= high[active]
                   /\ stored[active][k].key = key
                   /\ stored[active][k].branch = sink[k].branch

\* Once caught up (at the end of a snapshot, at the active's high seqno, nothing left to apply),
\* the consumer holds each key's latest mutation of the surviving history.
NoMissedMutation ==
    (/\ StreamingFromActive
     /\ received.key = 0
     /\ stream.position = high[active]
     /\ stream.position = stream.snapEnd) =>
        \A key \in 1..Keys :
            LET want == LatestStored(active, key)
                got == LatestInSink(key)
            IN  /\ want = got
                /\ want > 0 => sink[got].branch = stored[active][want].branch

\* The checkpoint names a point a producer can resume or roll back from: a branch for any seqno
\* past 0, and a seqno inside the snapshot it records (else the request is out of range).
CheckpointIsConsistent ==
    /\ checkpoint.snapStart <= checkpoint.seqno
    /\ checkpoint.seqno <= checkpoint.snapEnd
    /\ checkpoint.seqno = 0 \/ checkpoint.uuid # 0
===============================================================================
