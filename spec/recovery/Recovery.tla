------------------------------- MODULE Recovery -------------------------------
(***************************************************************************)
(* A primary's recovery driver for a lagging or diverged replica, after    *)
(* the execution driver of SeaweedFS's sw-block replication engine         *)
(* (spec/adr/0003-replica-recovery-driver.md): classify the gap from the   *)
(* replica's handshake (zero gap, catch-up, truncate, rebuild), pin what   *)
(* the plan needs (WAL retention, a snapshot, a full base), execute step   *)
(* by step, complete and release; with client writes, best-effort commit,  *)
(* WAL garbage collection, snapshots, lost connections, failover to a new  *)
(* epoch and crashes. replcheck's model model/protocols/recovery/ is the   *)
(* executable twin of this module: at the same bounds and rules both count *)
(* the same states.                                                        *)
(*                                                                         *)
(* Branching effects are written with IF-THEN-ELSE, not disjunctions, so   *)
(* TLC generates one successor per action instance, as replcheck counts.   *)
(* A guard (a conjunct before the effect) disables the action; a branch    *)
(* of the effect that changes nothing is still one (stuttering) successor  *)
(* in both tools. A guard that is a disjunction, or that a rule switches   *)
(* off, is an implication: TLC branches on a disjunction in an action even *)
(* when both disjuncts are state predicates, and would generate the        *)
(* successor twice when both hold.                                         *)
(*                                                                         *)
(* A primary's decisions read only its own variables and what the replica  *)
(* reports in the handshake (Classify takes the report as arguments).      *)
(* Steps that move data to a replica are messages: they read the primary's *)
(* WAL and write the replica, which accepts them only from a primary whose *)
(* epoch is at least its own (fencing). There is no ghost state: the       *)
(* invariants compare the logs' entry epochs.                              *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Nodes,      \* 1..N: the first primary (1) and its replicas
    MaxLsn,     \* the highest LSN a log reaches (writes stop there)
    MaxEpoch    \* the highest epoch the master assigns (failovers stop there)

\* The design choices the variants change (RecoveryRules in actions.ts; the base values are
\* baseRecoveryRules, which MCRecovery.cfg gives).
CONSTANTS
    HandshakeChecksHistory,          \* the handshake also reports the entry's epoch at min(flushed, committed)
    PinRechecksTail,                 \* taking a WAL pin re-checks that its start is still retained
    PlanPinsAtomically,              \* classification and the catch-up's WAL pin are one step
    ReleaseSnapshotOnWalPinFailure,  \* a refused WAL pin of a snapshot+tail rebuild releases its snapshot pin
    TruncateReplica,                 \* truncation removes the replica's entries above the target
    TruncateRechecksCommit,          \* truncation re-checks the committed LSN against the plan's target first
    CompleteChecksAuthority,         \* completion refuses an invalidated session
    TargetFollowsCommit,             \* a catch-up streams to the committed LSN now (not the one at planning)
    InvalidateKeepsPlan,             \* an epoch change invalidates open sessions (not drops them, pins held)
    SnapshotRespectsPins             \* a new snapshot is not taken while the current one is pinned

VARIABLES
    master,     \* [epoch, primary]: the control plane's current epoch and the node it assigned primary
    role,       \* per node: "Replica", "Primary" or "Down"
    epoch,      \* per node: the epoch it has accepted
    log,        \* per node: its WAL, the epoch that wrote each entry, by LSN from 1
    tail,       \* per node: the WAL's retention boundary (entries at or below it are recycled)
    committed,  \* per node, while primary: its committed LSN
    snapshot,   \* per node, while primary: its trusted snapshot's LSN (0: none)
    sender      \* per primary p and node r: p's view of r and the session p runs for r (r = p stays Idle)

vars == <<master, role, epoch, log, tail, committed, snapshot, sender>>

\* No session, the replica disconnected, no pin. Pins are 0 for none, else the pinned LSN + 1.
Idle == [view |-> "Disconnected", acked |-> 0, phase |-> "None", invalidated |-> FALSE,
         kind |-> "CatchUp", epoch |-> 0, start |-> 0, progress |-> 0, target |-> 0,
         walPin |-> 0, snapshotPin |-> 0, fullBasePin |-> 0]

Init ==
    /\ master = [epoch |-> 1, primary |-> 1]
    /\ role = [n \in Nodes |-> IF n = 1 THEN "Primary" ELSE "Replica"]
    /\ epoch = [n \in Nodes |-> 1]
    /\ log = [n \in Nodes |-> <<>>]
    /\ tail = [n \in Nodes |-> 0]
    /\ committed = [n \in Nodes |-> 0]
    /\ snapshot = [n \in Nodes |-> 0]
    /\ sender = [p \in Nodes |-> [r \in Nodes |-> Idle]]

-----------------------------------------------------------------------------
(* Helpers *)

Min(S) == CHOOSE k \in S : \A j \in S : k <= j

\* Log lg without its entries above LSN k (as it is when it has none).
Prefix(lg, k) == SubSeq(lg, 1, Min({k, Len(lg)}))

HoldsPin(s) == s.walPin # 0 \/ s.snapshotPin # 0 \/ s.fullBasePin # 0

\* Is p the primary the master assigned in the current epoch, and has it accepted that assignment?
CurrentPrimary(p) == role[p] = "Primary" /\ master.primary = p /\ epoch[p] = master.epoch

\* How primary p classifies a replica's gap from the handshake's report: its flushed LSN and the
\* epoch of its entry at min(flushed, p's committed LSN). Below p's WAL tail p has no record to
\* compare with, so a diverged history or an unretained start needs a rebuild.
Classify(p, flushed, reported) ==
    LET checked == Min({flushed, committed[p]})
    IN  IF /\ HandshakeChecksHistory
           /\ checked > 0
           /\ (checked < tail[p] \/ log[p][checked] # reported)
        THEN "NeedsRebuild"
        ELSE IF flushed = committed[p] THEN "ZeroGap"
        ELSE IF flushed > committed[p] THEN "Truncate"
        ELSE IF flushed >= tail[p] THEN "CatchUp"
        ELSE "NeedsRebuild"

\* What replica r says in the handshake besides its flushed LSN.
ReportedEpoch(p, r) ==
    LET checked == Min({Len(log[r]), committed[p]})
    IN  IF checked > 0 THEN log[r][checked] ELSE 0

\* Where the session p -> r's stream ends: the committed LSN now, or the one at planning.
Goal(p, r) == IF TargetFollowsCommit THEN committed[p] ELSE sender[p][r].target

\* The lowest LSN GC may not pass: the committed LSN, what every replica in sync has acknowledged
\* (the shipper's own floor), and every WAL and snapshot pin of p.
RetentionFloor(p) ==
    Min({committed[p]}
        \cup {sender[p][r].acked : r \in {q \in Nodes \ {p} : sender[p][q].view = "InSync"}}
        \cup {sender[p][r].walPin - 1 : r \in {q \in Nodes : sender[p][q].walPin # 0}}
        \cup {sender[p][r].snapshotPin - 1 : r \in {q \in Nodes : sender[p][q].snapshotPin # 0}})

\* Best-effort commit from p's new log and senders: the highest LSN every replica in sync has
\* acknowledged (the head with none). Never lowered.
NewCommit(p, lg, ss) ==
    LET c == Min({Len(lg)} \cup {ss[r].acked : r \in {q \in Nodes \ {p} : ss[q].view = "InSync"}})
    IN  IF c > committed[p] THEN c ELSE committed[p]

\* Session record s with its pins released (keeping the snapshot pin if told).
Released(s, keepSnapshot) ==
    [s EXCEPT !.walPin = 0, !.snapshotPin = IF keepSnapshot THEN @ ELSE 0, !.fullBasePin = 0]

\* Session record s ended (its fields back to zero, its pins as they are) with view v.
Ended(s, v) ==
    [s EXCEPT !.view = v, !.phase = "None", !.invalidated = FALSE, !.kind = "CatchUp",
              !.epoch = 0, !.start = 0, !.progress = 0, !.target = 0]

\* Session record s opened by primary p (its invalidated flag as it is).
Opened(s, p, kind, phase, start, progress, target) ==
    [s EXCEPT !.phase = phase, !.kind = kind, !.epoch = epoch[p], !.start = start,
              !.progress = progress, !.target = target]

\* A plan that failed (a pin refused): it releases what it holds and leaves the replica out of sync.
Failed(s) ==
    LET rebuild == s.kind = "Rebuild"
    IN  Ended(Released(s, rebuild /\ ~ReleaseSnapshotOnWalPinFailure /\ s.phase = "SnapshotPinned"),
              IF rebuild THEN "NeedsRebuild" ELSE "Disconnected")

\* The session p -> r is open and not invalidated (its executor still works on it).
Working(p, r) == sender[p][r].phase # "None" /\ ~sender[p][r].invalidated

\* The replica accepts the session's messages: it is up, a replica, and not fenced at a newer epoch.
ReplicaAccepts(p, r) == role[r] = "Replica" /\ epoch[r] <= sender[p][r].epoch

\* A primary's step for another node (replcheck's pair): p is a primary and r another node.
Peer(p, r) == role[p] = "Primary" /\ r # p

\* The sender p -> r becomes s (every other one as it is).
SetSender(p, r, s) == sender' = [sender EXCEPT ![p][r] = s]

-----------------------------------------------------------------------------
(* The primary's steps *)

Write(p) ==
    /\ role[p] = "Primary"
    /\ Len(log[p]) < MaxLsn
    /\ log' = [log EXCEPT ![p] = Append(@, epoch[p])]
    /\ committed' = [committed EXCEPT ![p] = NewCommit(p, log'[p], sender[p])]
    /\ UNCHANGED <<master, role, epoch, tail, snapshot, sender>>

\* Live shipping of the next entry to a replica in sync. The replica takes only its next LSN: else
\* it refuses, and the primary stops shipping to it.
Replicate(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].view = "InSync"
    /\ sender[p][r].acked < Len(log[p])
    /\ role[r] = "Replica" /\ epoch[r] <= epoch[p]
    /\ LET lsn == sender[p][r].acked + 1
       IN  IF Len(log[r]) = lsn - 1
           THEN /\ log' = [log EXCEPT ![r] = Append(@, log[p][lsn])]
                /\ SetSender(p, r, [sender[p][r] EXCEPT !.acked = lsn])
           ELSE /\ SetSender(p, r, [sender[p][r] EXCEPT !.view = "Disconnected", !.acked = 0])
                /\ UNCHANGED log
    /\ committed' = [committed EXCEPT ![p] = NewCommit(p, log[p], sender'[p])]
    /\ UNCHANGED <<master, role, epoch, tail, snapshot>>

\* The replica reports; p classifies and plans. The replica takes p's epoch.
Handshake(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].phase = "None" /\ sender[p][r].view = "Disconnected"
    /\ role[r] = "Replica" /\ epoch[r] <= epoch[p]
    /\ LET s == sender[p][r]
           flushed == Len(log[r])
           outcome == Classify(p, flushed, ReportedEpoch(p, r))
       IN  SetSender(p, r,
             IF outcome = "ZeroGap" THEN [s EXCEPT !.view = "InSync", !.acked = flushed]
             ELSE IF outcome = "NeedsRebuild" THEN [s EXCEPT !.view = "NeedsRebuild"]
             ELSE IF outcome = "Truncate" THEN Opened(s, p, "CatchUp", "TruncatePlanned", 0, flushed, committed[p])
             \* Classified and pinned in one step: nothing can recycle the start in between.
             ELSE IF PlanPinsAtomically
             THEN [Opened(s, p, "CatchUp", "CatchingUp", flushed, flushed, committed[p]) EXCEPT !.walPin = flushed + 1]
             ELSE Opened(s, p, "CatchUp", "Planned", flushed, flushed, committed[p]))
    /\ epoch' = [epoch EXCEPT ![r] = epoch[p]]
    /\ UNCHANGED <<master, role, log, tail, committed, snapshot>>

\* Taking the plan's WAL pin (a catch-up's, or a snapshot+tail rebuild's).
PinWal(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].phase \in {"Planned", "SnapshotPinned"}
    /\ ~sender[p][r].invalidated
    /\ LET s == sender[p][r]
       IN  SetSender(p, r,
             IF PinRechecksTail /\ s.start < tail[p] THEN Failed(s)
             ELSE [s EXCEPT !.walPin = s.start + 1,
                            !.phase = IF s.phase = "Planned" THEN "CatchingUp" ELSE "Transferring"])
    /\ UNCHANGED <<master, role, epoch, log, tail, committed, snapshot>>

\* A pin refused for a reason the model does not track.
PinFails(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].phase \in {"Planned", "RebuildAssigned", "SnapshotPinned"}
    /\ ~sender[p][r].invalidated
    /\ SetSender(p, r, Failed(sender[p][r]))
    /\ UNCHANGED <<master, role, epoch, log, tail, committed, snapshot>>

Truncate(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].phase = "TruncatePlanned"
    /\ ~sender[p][r].invalidated
    /\ ReplicaAccepts(p, r)
    /\ LET s == sender[p][r]
           \* The plan is stale: the commit point moved since (a new handshake classifies again).
           stale == TruncateRechecksCommit /\ committed[p] # s.target
           \* The replica cannot truncate below its WAL's start (those entries are in its extent only).
           \* Checked only by a truncation that removes entries (not one only recorded).
           unretained == TruncateReplica /\ s.target < tail[r]
       IN  /\ SetSender(p, r,
                 IF stale THEN Ended(s, "Disconnected")
                 ELSE IF unretained THEN Ended(s, "NeedsRebuild")
                 ELSE [s EXCEPT !.progress = s.target, !.phase = "Truncated"])
           /\ log' = IF ~stale /\ ~unretained /\ TruncateReplica
                     THEN [log EXCEPT ![r] = Prefix(@, s.target)]
                     ELSE log
    /\ UNCHANGED <<master, role, epoch, tail, committed, snapshot>>

StartRebuild(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].view = "NeedsRebuild" /\ sender[p][r].phase = "None"
    /\ SetSender(p, r, Opened(sender[p][r], p, "Rebuild", "RebuildAssigned", 0, 0, 0))
    /\ UNCHANGED <<master, role, epoch, log, tail, committed, snapshot>>

\* Selecting the rebuild's source and pinning it: a trusted snapshot whose tail is still retained
\* (snapshot + WAL tail), else a full base at the committed LSN.
PlanRebuild(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].phase = "RebuildAssigned"
    /\ ~sender[p][r].invalidated
    /\ LET s == [sender[p][r] EXCEPT !.target = committed[p]]
       IN  SetSender(p, r,
             IF snapshot[p] > 0 /\ snapshot[p] >= tail[p]
             THEN [s EXCEPT !.snapshotPin = snapshot[p] + 1, !.start = snapshot[p], !.phase = "SnapshotPinned"]
             ELSE [s EXCEPT !.fullBasePin = committed[p] + 1, !.start = committed[p], !.phase = "Transferring"])
    /\ UNCHANGED <<master, role, epoch, log, tail, committed, snapshot>>

\* Installing the base: the replica's data becomes p's history up to it; its WAL starts after it.
Transfer(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].phase = "Transferring"
    /\ ~sender[p][r].invalidated
    /\ ReplicaAccepts(p, r)
    /\ LET s == sender[p][r]
       IN  /\ log' = [log EXCEPT ![r] = SubSeq(log[p], 1, s.start)]
           /\ tail' = [tail EXCEPT ![r] = s.start]
           /\ epoch' = [epoch EXCEPT ![r] = s.epoch]
           /\ SetSender(p, r, [s EXCEPT !.progress = s.start, !.phase = "CatchingUp"])
    /\ UNCHANGED <<master, role, committed, snapshot>>

\* Streaming the next WAL entry. A recycled entry cannot be read, and the replica takes only its
\* next LSN: either way the stream fails.
StreamEntry(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].phase = "CatchingUp"
    /\ ~sender[p][r].invalidated
    /\ sender[p][r].walPin # 0
    /\ sender[p][r].progress < Goal(p, r)
    /\ ReplicaAccepts(p, r)
    /\ LET s == sender[p][r]
           lsn == s.progress + 1
       IN  IF lsn <= tail[p] \/ Len(log[r]) # lsn - 1
           THEN /\ SetSender(p, r, [s EXCEPT !.invalidated = TRUE])
                /\ UNCHANGED log
           ELSE /\ log' = [log EXCEPT ![r] = Append(@, log[p][lsn])]
                /\ SetSender(p, r, [s EXCEPT !.progress = lsn])
    /\ UNCHANGED <<master, role, epoch, tail, committed, snapshot>>

\* Completion releases the pins. At its goal the replica is in sync; else the commit point moved
\* on and the session holds nothing to stream it from, and a new handshake classifies it again.
Complete(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].phase \in {"CatchingUp", "Truncated"}
    /\ CompleteChecksAuthority => ~sender[p][r].invalidated
    \* Not while streaming: a catch-up completes at its goal, or without a WAL pin to stream from.
    /\ sender[p][r].phase # "Truncated" =>
          (sender[p][r].progress # Goal(p, r) => sender[p][r].walPin = 0)
    /\ LET s == Released(sender[p][r], FALSE)
           done == sender[p][r].progress = Goal(p, r)
       IN  /\ SetSender(p, r,
                 IF done THEN [Ended(s, "InSync") EXCEPT !.acked = sender[p][r].progress]
                 ELSE Ended(s, "Disconnected"))
           \* From the new views and acks.
           /\ committed' = IF done THEN [committed EXCEPT ![p] = NewCommit(p, log[p], sender'[p])]
                           ELSE committed
    /\ UNCHANGED <<master, role, epoch, log, tail, snapshot>>

\* The executor of an invalidated session releases it.
ReleaseSession(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].phase # "None" /\ sender[p][r].invalidated
    /\ SetSender(p, r, Ended(Released(sender[p][r], FALSE),
                             IF sender[p][r].kind = "Rebuild" THEN "NeedsRebuild" ELSE "Disconnected"))
    /\ UNCHANGED <<master, role, epoch, log, tail, committed, snapshot>>

\* A lost connection: a working session is invalidated; a replica in sync drops out of the commit.
Disconnect(p, r) ==
    /\ Peer(p, r)
    /\ sender[p][r].view # "InSync" => Working(p, r)
    /\ IF sender[p][r].phase # "None"
       THEN /\ SetSender(p, r, [sender[p][r] EXCEPT !.invalidated = TRUE])
            /\ UNCHANGED committed
       ELSE /\ SetSender(p, r, [sender[p][r] EXCEPT !.view = "Disconnected", !.acked = 0])
            /\ committed' = [committed EXCEPT ![p] = NewCommit(p, log[p], sender'[p])]
    /\ UNCHANGED <<master, role, epoch, log, tail, snapshot>>

-----------------------------------------------------------------------------
(* Around it *)

\* GC recycles p's WAL up to some LSN, never past the committed LSN or a pin.
CollectWal(p) ==
    /\ role[p] = "Primary"
    /\ \E upTo \in tail[p] + 1 .. RetentionFloor(p) : tail' = [tail EXCEPT ![p] = upTo]
    /\ UNCHANGED <<master, role, epoch, log, committed, snapshot, sender>>

TakeSnapshot(p) ==
    /\ role[p] = "Primary"
    /\ committed[p] > snapshot[p]
    /\ SnapshotRespectsPins => \A r \in Nodes : sender[p][r].snapshotPin = 0
    /\ snapshot' = [snapshot EXCEPT ![p] = committed[p]]
    /\ UNCHANGED <<master, role, epoch, log, tail, committed, sender>>

\* The master assigns a new epoch with node n primary; n learns it in a step of its own.
Failover(n) ==
    /\ master.epoch < MaxEpoch
    /\ role[n] # "Down"
    /\ master' = [epoch |-> master.epoch + 1, primary |-> n]
    /\ UNCHANGED <<role, epoch, log, tail, committed, snapshot, sender>>

\* Node n accepts the master's epoch. Re-assigned primary: every session of the old epoch is
\* invalidated (the engine's UpdateSenderEpoch), or dropped, and every replica in sync is
\* handshaken again. Promoted: its whole log is the new lineage. Demoted: its senders, snapshot
\* trust and commit point go with the role.
AcceptAssignment(n) ==
    /\ role[n] # "Down"
    /\ epoch[n] < master.epoch
    /\ epoch' = [epoch EXCEPT ![n] = master.epoch]
    /\ IF master.primary = n /\ role[n] = "Primary"
       THEN LET Reassigned(s) ==
                    IF s.phase # "None"
                    THEN IF InvalidateKeepsPlan THEN [s EXCEPT !.invalidated = TRUE]
                         ELSE Ended(s, IF s.kind = "Rebuild" THEN "NeedsRebuild" ELSE "Disconnected")
                    ELSE IF s.view = "InSync" THEN [s EXCEPT !.view = "Disconnected", !.acked = 0]
                    ELSE s
            IN  /\ sender' = [sender EXCEPT ![n] =
                                 [r \in Nodes |-> IF r = n THEN sender[n][r] ELSE Reassigned(sender[n][r])]]
                /\ committed' = [committed EXCEPT ![n] = NewCommit(n, log[n], sender'[n])]
                /\ UNCHANGED <<role, snapshot>>
       ELSE IF master.primary = n
       THEN /\ role' = [role EXCEPT ![n] = "Primary"]
            /\ committed' = [committed EXCEPT ![n] = Len(log[n])]
            /\ UNCHANGED <<snapshot, sender>>
       ELSE IF role[n] = "Primary"
       THEN /\ role' = [role EXCEPT ![n] = "Replica"]
            /\ sender' = [sender EXCEPT ![n] = [r \in Nodes |-> Idle]]
            /\ committed' = [committed EXCEPT ![n] = 0]
            /\ snapshot' = [snapshot EXCEPT ![n] = 0]
       ELSE UNCHANGED <<role, committed, snapshot, sender>>
    /\ UNCHANGED <<master, log, tail>>

\* A crash loses the primary's memory: its senders and pins, commit point and snapshot trust.
Crash(n) ==
    /\ role[n] # "Down"
    /\ role' = [role EXCEPT ![n] = "Down"]
    /\ sender' = [sender EXCEPT ![n] = [r \in Nodes |-> Idle]]
    /\ committed' = [committed EXCEPT ![n] = 0]
    /\ snapshot' = [snapshot EXCEPT ![n] = 0]
    /\ UNCHANGED <<master, epoch, log, tail>>

Restart(n) ==
    /\ role[n] = "Down"
    /\ role' = [role EXCEPT ![n] = "Replica"]
    /\ UNCHANGED <<master, epoch, log, tail, committed, snapshot, sender>>

Next ==
    \/ \E p \in Nodes : Write(p)
    \/ \E p, r \in Nodes : Replicate(p, r)
    \/ \E p, r \in Nodes : Handshake(p, r)
    \/ \E p, r \in Nodes : PinWal(p, r)
    \/ \E p, r \in Nodes : PinFails(p, r)
    \/ \E p, r \in Nodes : Truncate(p, r)
    \/ \E p, r \in Nodes : StartRebuild(p, r)
    \/ \E p, r \in Nodes : PlanRebuild(p, r)
    \/ \E p, r \in Nodes : Transfer(p, r)
    \/ \E p, r \in Nodes : StreamEntry(p, r)
    \/ \E p, r \in Nodes : Complete(p, r)
    \/ \E p, r \in Nodes : ReleaseSession(p, r)
    \/ \E p, r \in Nodes : Disconnect(p, r)
    \/ \E p \in Nodes : CollectWal(p)
    \/ \E p \in Nodes : TakeSnapshot(p)
    \/ \E n \in Nodes : Failover(n)
    \/ \E n \in Nodes : AcceptAssignment(n)
    \/ \E n \in Nodes : Crash(n)
    \/ \E n \in Nodes : Restart(n)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Invariants (named in ADR 0003). The ones about data compare logs entry by entry (an entry is *)
(* its LSN and the epoch that wrote it), never LSNs alone.                                       *)

\* Does log a hold log b's entry at LSN k?
SameEntry(a, b, k) == k <= Len(a) /\ k <= Len(b) /\ a[k] = b[k]

\* The session p -> r is planning (its pins not all taken yet).
Planning(p, r) == sender[p][r].phase \in {"Planned", "RebuildAssigned", "SnapshotPinned"}

\* No primary has recycled a WAL entry above an active WAL pin's start, and every pinned snapshot
\* still exists.
PinSafety ==
    \A p \in Nodes : role[p] = "Primary" =>
        \A r \in Nodes :
            /\ sender[p][r].walPin # 0 => sender[p][r].walPin - 1 >= tail[p]
            /\ sender[p][r].snapshotPin # 0 => sender[p][r].snapshotPin - 1 = snapshot[p]

\* Every pin belongs to an open session, whose executor will release it.
NoPinLeak == \A p, r \in Nodes : HoldsPin(sender[p][r]) => sender[p][r].phase # "None"

\* Every replica the current primary holds in sync has the primary's committed entries and no entry
\* the primary lacks, entry by entry.
InSyncMeansSameHistory ==
    \A p \in Nodes : CurrentPrimary(p) =>
        \A r \in Nodes \ {p} : sender[p][r].view = "InSync" =>
            /\ committed[p] <= Len(log[r])
            /\ Len(log[r]) <= Len(log[p])
            /\ \A k \in 1..Len(log[r]) : log[r][k] = log[p][k]

\* A truncation never removes from a replica an entry of the primary's committed history.
TruncateNeverBelowCommittedStep ==
    \A p, r \in Nodes :
        (sender[p][r].phase = "TruncatePlanned" /\ sender'[p][r].phase = "Truncated") =>
            \A k \in 1..committed[p] : SameEntry(log[r], log[p], k) => SameEntry(log'[r], log[p], k)

\* No session completes (its replica marked in sync) after its primary has moved to a newer epoch.
StaleEpochNeverCompletesStep ==
    \A p, r \in Nodes :
        (/\ sender[p][r].phase # "None"
         /\ sender'[p][r].phase = "None"
         /\ sender'[p][r].view = "InSync") => sender[p][r].epoch = epoch'[p]

\* A plan that fails (a pin refused) ends holding no pin, its replica not in sync.
FailClosedStep ==
    \A p, r \in Nodes :
        (Planning(p, r) /\ sender'[p][r].phase = "None") =>
            ~HoldsPin(sender'[p][r]) /\ sender'[p][r].view # "InSync"

TruncateNeverBelowCommitted == [][TruncateNeverBelowCommittedStep]_vars
StaleEpochNeverCompletes == [][StaleEpochNeverCompletesStep]_vars
FailClosed == [][FailClosedStep]_vars
===============================================================================
