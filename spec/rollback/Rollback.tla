------------------------------- MODULE Rollback -------------------------------
(***************************************************************************)
(* Deposed-primary rollback to the common point, as decided in             *)
(* spec/adr/0001-deposed-primary-rollback.md.                              *)
(*                                                                         *)
(* The replication and commit-point actions restate those of MongoDB's     *)
(* RaftMongo abstraction (see spec/raftmongo/README.md) in our own words,  *)
(* with three changes: RaftMongo's one-entry RollbackOplog is replaced by  *)
(* the rollback coordinator's steps; a server whose coordinator is busy    *)
(* neither appends nor campaigns; and learning the commit point from the   *)
(* sync source never lowers it, because the learned commit point is the    *)
(* rollback watermark.                                                     *)
(*                                                                         *)
(* replcheck's model model/protocols/rollback/ is the executable twin of   *)
(* this module: at the same bounds both count the same distinct states.    *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS Server, MaxClientWriteSize

VARIABLES
    committedEntries,   \* history: every [term, index] ever acknowledged as committed
    currentTerm,        \* per server
    state,              \* per server: "Follower" or "Leader"
    commitPoint,        \* per server: the learned commit point, the rollback watermark
    log,                \* per server: a sequence of [term]
    rollback,           \* per server: the coordinator's volatile progress
    rollbackFiles       \* per server: durable set of [term, index] saved before removal

vars == <<committedEntries, currentTerm, state, commitPoint, log, rollback, rollbackFiles>>

-----------------------------------------------------------------------------
(* Helpers *)

Majority(S) == 2 * Cardinality(S) > Cardinality(Server)
TermAt(lg, k) == IF k = 0 THEN 0 ELSE lg[k].term
LastTermOf(lg) == TermAt(lg, Len(lg))
Min(a, b) == IF a < b THEN a ELSE b
Max(a, b) == IF a > b THEN a ELSE b
IsLeader(i) == state[i] = "Leader"
Busy(i) == rollback[i].phase # "Idle"

\* The coordinator at rest: its volatile progress is empty.
Idle(i) == [phase |-> "Idle", source |-> i, commonPoint |-> 0, watermark |-> 0, rejoinTerm |-> 0]

\* i may copy entries from j: j's log extends i's last entry.
SyncableFrom(i, j) ==
    /\ Len(log[i]) < Len(log[j])
    /\ LastTermOf(log[i]) = TermAt(log[j], Len(log[i]))

\* i's log is at least as up to date as j's.
UpToDate(i, j) ==
    \/ LastTermOf(log[i]) > LastTermOf(log[j])
    \/ /\ LastTermOf(log[i]) = LastTermOf(log[j])
       /\ Len(log[i]) >= Len(log[j])

\* Servers whose log holds the same entry as i's at index k.
Holders(i, k) == {s \in Server : Len(log[s]) >= k /\ TermAt(log[s], k) = TermAt(log[i], k)}

\* Commit points ordered by term, then index.
PointBelow(p, q) == p.term < q.term \/ (p.term = q.term /\ p.index < q.index)

\* i's log must drop entries to become a prefix of j's newer log. (TLC explores each true
\* disjunct of an action as a separate successor, so disjuncts here are mutually exclusive.)
Diverged(i, j) ==
    /\ Len(log[i]) > 0
    /\ LastTermOf(log[i]) < LastTermOf(log[j])
    /\ \/ Len(log[i]) > Len(log[j])
       \/ /\ Len(log[i]) <= Len(log[j])
          /\ LastTermOf(log[i]) # TermAt(log[j], Len(log[i]))

\* The plan's common point: the highest index at which the two logs hold the same term.
MatchPoint(i, j) ==
    LET M == {k \in 0..Min(Len(log[i]), Len(log[j])) : TermAt(log[i], k) = TermAt(log[j], k)}
    IN  CHOOSE k \in M : \A m \in M : m <= k

\* The definition the plan's shortcut must agree with: the longest common prefix.
AgreementPoint(a, b) ==
    LET P == {k \in 0..Min(Len(a), Len(b)) : SubSeq(a, 1, k) = SubSeq(b, 1, k)}
    IN  CHOOSE k \in P : \A m \in P : m <= k

IsPrefix(a, b) == Len(a) <= Len(b) /\ SubSeq(b, 1, Len(a)) = a

\* The plan still stands: its source leads in the plan's term and i saw no newer term.
PlanCurrent(i) ==
    /\ IsLeader(rollback[i].source)
    /\ currentTerm[rollback[i].source] = rollback[i].rejoinTerm
    /\ currentTerm[i] <= rollback[i].rejoinTerm

-----------------------------------------------------------------------------
Init ==
    /\ committedEntries = {}
    /\ currentTerm = [i \in Server |-> 0]
    /\ state = [i \in Server |-> "Follower"]
    /\ commitPoint = [i \in Server |-> [term |-> 0, index |-> 0]]
    /\ log = [i \in Server |-> << >>]
    /\ rollback = [i \in Server |-> Idle(i)]
    /\ rollbackFiles = [i \in Server |-> {}]

-----------------------------------------------------------------------------
(* Replication *)

AppendOplog(i, j) ==
    /\ ~IsLeader(i)
    /\ ~Busy(i)
    /\ SyncableFrom(i, j)
    /\ \E last \in (Len(log[i]) + 1)..Len(log[j]) :
          log' = [log EXCEPT ![i] = @ \o SubSeq(log[j], Len(log[i]) + 1, last)]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, rollback, rollbackFiles>>

BecomePrimaryByMagic(i, voters) ==
    /\ ~Busy(i)
    /\ \A v \in voters : UpToDate(i, v) /\ currentTerm[v] <= currentTerm[i]
    /\ Majority(voters)
    /\ state' = [s \in Server |->
                   IF s \in voters THEN IF s = i THEN "Leader" ELSE "Follower" ELSE state[s]]
    /\ currentTerm' = [s \in Server |->
                         IF s \in voters \cup {i} THEN currentTerm[i] + 1 ELSE currentTerm[s]]
    /\ UNCHANGED <<committedEntries, commitPoint, log, rollback, rollbackFiles>>

Stepdown(i) ==
    /\ IsLeader(i)
    /\ state' = [state EXCEPT ![i] = "Follower"]
    /\ UNCHANGED <<committedEntries, currentTerm, commitPoint, log, rollback, rollbackFiles>>

ClientWrite(i) ==
    /\ IsLeader(i)
    /\ \E n \in 1..MaxClientWriteSize :
          log' = [log EXCEPT ![i] = @ \o [k \in 1..n |-> [term |-> currentTerm[i]]]]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, rollback, rollbackFiles>>

UpdateTermThroughHeartbeat(i, j) ==
    /\ currentTerm[j] > currentTerm[i]
    /\ currentTerm' = [currentTerm EXCEPT ![i] = currentTerm[j]]
    /\ state' = [state EXCEPT ![i] = "Follower"]
    /\ UNCHANGED <<committedEntries, commitPoint, log, rollback, rollbackFiles>>

-----------------------------------------------------------------------------
(* Commit points *)

AdvanceCommitPoint ==
    \E leader \in Server :
    \E acks \in SUBSET Server :
    \E k \in (commitPoint[leader].index + 1)..Len(log[leader]) :
        /\ IsLeader(leader)
        /\ Majority(acks)
        /\ acks \subseteq Holders(leader, k)
        /\ TermAt(log[leader], k) = currentTerm[leader]
        /\ \A a \in acks : currentTerm[a] <= currentTerm[leader]
        /\ commitPoint' = [commitPoint EXCEPT ![leader] = [term |-> TermAt(log[leader], k), index |-> k]]
        /\ committedEntries' = committedEntries \cup
              {[term |-> TermAt(log[leader], m), index |-> m] : m \in (commitPoint[leader].index + 1)..k}
        /\ UNCHANGED <<currentTerm, state, log, rollback, rollbackFiles>>

LearnCommitPointWithTermCheck(i, j) ==
    /\ LastTermOf(log[i]) = commitPoint[j].term
    /\ PointBelow(commitPoint[i], commitPoint[j])
    /\ commitPoint' = [commitPoint EXCEPT ![i] = commitPoint[j]]
    /\ UNCHANGED <<committedEntries, currentTerm, state, log, rollback, rollbackFiles>>

LearnCommitPointFromSyncSourceNeverBeyondLastApplied(i, j) ==
    /\ SyncableFrom(i, j) \/ log[i] = log[j]
    /\ PointBelow(commitPoint[i], commitPoint[j])
    /\ LET learned == IF commitPoint[j].term <= LastTermOf(log[i])
                      THEN commitPoint[j]
                      ELSE [term |-> LastTermOf(log[i]), index |-> Len(log[i])]
       IN  /\ PointBelow(commitPoint[i], learned)   \* never lowers the watermark
           /\ commitPoint' = [commitPoint EXCEPT ![i] = learned]
    /\ UNCHANGED <<committedEntries, currentTerm, state, log, rollback, rollbackFiles>>

-----------------------------------------------------------------------------
(* The rollback coordinator of server i *)

RollbackPlan(i, j) ==
    /\ ~Busy(i)
    /\ ~IsLeader(i)
    /\ IsLeader(j)
    /\ currentTerm[j] >= currentTerm[i]
    /\ Diverged(i, j)
    /\ LET common == MatchPoint(i, j)
       IN  /\ common >= commitPoint[i].index   \* refuse below the watermark
           /\ rollback' = [rollback EXCEPT ![i] =
                 [phase |-> "Planned", source |-> j, commonPoint |-> common,
                  watermark |-> commitPoint[i].index, rejoinTerm |-> currentTerm[j]]]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, rollbackFiles>>

RollbackPersist(i) ==
    /\ rollback[i].phase = "Planned"
    /\ rollbackFiles' = [rollbackFiles EXCEPT ![i] = @ \cup
          {[term |-> log[i][k].term, index |-> k] : k \in (rollback[i].commonPoint + 1)..Len(log[i])}]
    /\ rollback' = [rollback EXCEPT ![i].phase = "Persisted"]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log>>

RollbackPersistFails(i) ==
    /\ rollback[i].phase = "Planned"
    /\ rollback' = [rollback EXCEPT ![i] = Idle(i)]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, rollbackFiles>>

RollbackRecover(i) ==
    /\ rollback[i].phase = "Persisted"
    /\ PlanCurrent(i)
    /\ log' = [log EXCEPT ![i] = SubSeq(@, 1, rollback[i].commonPoint)]
    /\ rollback' = [rollback EXCEPT ![i].phase = "Recovered"]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, rollbackFiles>>

RollbackEmitEvent(i) ==
    /\ rollback[i].phase = "Recovered"
    /\ rollback' = [rollback EXCEPT ![i].phase = "Emitted"]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, rollbackFiles>>

RollbackRejoin(i) ==
    /\ rollback[i].phase = "Emitted"
    /\ IsLeader(rollback[i].source)
    /\ currentTerm[rollback[i].source] = rollback[i].rejoinTerm
    /\ currentTerm' = [currentTerm EXCEPT ![i] = Max(@, rollback[i].rejoinTerm)]
    /\ state' = [state EXCEPT ![i] = "Follower"]
    /\ rollback' = [rollback EXCEPT ![i] = Idle(i)]
    /\ UNCHANGED <<committedEntries, commitPoint, log, rollbackFiles>>

\* A crash loses the coordinator's volatile progress; logs, commit points and files survive.
Crash(i) ==
    /\ Busy(i)
    /\ rollback' = [rollback EXCEPT ![i] = Idle(i)]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, rollbackFiles>>

-----------------------------------------------------------------------------
Next ==
    \/ \E i, j \in Server : AppendOplog(i, j)
    \/ \E i \in Server : \E voters \in SUBSET Server : BecomePrimaryByMagic(i, voters)
    \/ \E i \in Server : Stepdown(i)
    \/ \E i \in Server : ClientWrite(i)
    \/ \E i, j \in Server : UpdateTermThroughHeartbeat(i, j)
    \/ AdvanceCommitPoint
    \/ \E i, j \in Server : LearnCommitPointWithTermCheck(i, j)
    \/ \E i, j \in Server : LearnCommitPointFromSyncSourceNeverBeyondLastApplied(i, j)
    \/ \E i, j \in Server : RollbackPlan(i, j)
    \/ \E i \in Server : RollbackPersist(i)
    \/ \E i \in Server : RollbackPersistFails(i)
    \/ \E i \in Server : RollbackRecover(i)
    \/ \E i \in Server : RollbackEmitEvent(i)
    \/ \E i \in Server : RollbackRejoin(i)
    \/ \E i \in Server : Crash(i)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Invariants (named in the ADR) *)

NoTwoPrimariesInSameTerm ==
    \A i, j \in Server : (i # j /\ IsLeader(i) /\ IsLeader(j)) => currentTerm[i] # currentTerm[j]

Holds(lg, e) == Len(lg) >= e.index /\ lg[e.index].term = e.term

\* Step invariants, as action formulas; each is checked with [][A]_vars.
NeverRollbackCommittedStep ==
    \A i \in Server : \A e \in committedEntries : Holds(log[i], e) => Holds(log'[i], e)

RollbackNeverSilentStep ==
    \A i \in Server : \A k \in 1..Len(log[i]) :
        LET e == [term |-> log[i][k].term, index |-> k]
        IN  ~Holds(log'[i], e) => e \in rollbackFiles[i]

RefuseBelowWatermarkStep ==
    \A i \in Server :
        (Busy(i) /\ Len(log'[i]) < Len(log[i])) => Len(log'[i]) >= rollback[i].watermark

CommonPointIsAgreementPointStep ==
    \A i \in Server :
        (rollback[i].phase = "Idle" /\ rollback'[i].phase = "Planned")
            => rollback'[i].commonPoint = AgreementPoint(log[i], log[rollback'[i].source])

RejoinedLogIsPrefixOfPrimaryStep ==
    \A i \in Server :
        LET j == rollback[i].source
        IN  (/\ rollback[i].phase = "Emitted"
             /\ rollback'[i].phase = "Idle"
             /\ IsLeader(j)
             /\ currentTerm[j] = rollback[i].rejoinTerm)
                => IsPrefix(log'[i], log'[j])

CommitPointMonotonicStep == \A i \in Server : ~PointBelow(commitPoint'[i], commitPoint[i])

NeverRollbackCommitted == [][NeverRollbackCommittedStep]_vars
RollbackNeverSilent == [][RollbackNeverSilentStep]_vars
RefuseBelowWatermark == [][RefuseBelowWatermarkStep]_vars
CommonPointIsAgreementPoint == [][CommonPointIsAgreementPointStep]_vars
RejoinedLogIsPrefixOfPrimary == [][RejoinedLogIsPrefixOfPrimaryStep]_vars
CommitPointMonotonic == [][CommitPointMonotonicStep]_vars
===============================================================================
