------------------------------- MODULE Rollback -------------------------------
(***************************************************************************)
(* Deposed-primary rollback to the common point, as decided in             *)
(* spec/adr/0001-deposed-primary-rollback.md.                              *)
(*                                                                         *)
(* The replication and commit-point actions restate those of MongoDB's     *)
(* RaftMongo abstraction (see spec/raftmongo/README.md) in our own words,  *)
(* with these changes: RaftMongo's one-entry RollbackOplog is replaced by  *)
(* the rollback coordinator's steps; each server keeps its own view of     *)
(* the leader (taught by heartbeats, cleared when its term moves without   *)
(* one) and its own key versions (the writes its store serves, applied in  *)
(* the step that logs them); a server that is mid-rollback or owes an      *)
(* event neither appends nor campaigns, and one that holds the term lock   *)
(* neither takes a new term nor votes; learning the commit point from the  *)
(* sync source never lowers it, because it is the rollback watermark.      *)
(*                                                                         *)
(* Every guard of a coordinator step reads only the acting server's own    *)
(* variables and the log it fetched from its source. committedEntries,    *)
(* events and removed are history, read by the invariants only.           *)
(*                                                                         *)
(* replcheck's model model/protocols/rollback/ is the executable twin of   *)
(* this module: at the same bounds both count the same distinct states.    *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS Server, MaxClientWriteSize

NoLeader == 0

VARIABLES
    committedEntries,   \* history: every [term, index] ever acknowledged as committed
    currentTerm,        \* per server
    state,              \* per server: "Follower" or "Leader"
    commitPoint,        \* per server: the learned commit point, the rollback watermark
    log,                \* per server: a sequence of [term]
    leaderView,         \* per server: whom it believes leads in its term, or NoLeader
    keyVersions,        \* per server: the writes its store serves, a sequence of [term]
    rollback,           \* per server: the coordinator's volatile progress
    rollbackFiles,      \* per server: durable set of [term, index] saved before removal
    pendingEvent,       \* per server: durable set of saved [term, index] whose event is owed
    events,             \* history, per server: the [term, index] its operator events named
    removed             \* history, per server: the [term, index] removed from its log

vars == <<committedEntries, currentTerm, state, commitPoint, log, leaderView, keyVersions,
          rollback, rollbackFiles, pendingEvent, events, removed>>
coordinatorVars == <<rollback, rollbackFiles, pendingEvent, events, removed>>

-----------------------------------------------------------------------------
(* Helpers *)

Majority(S) == 2 * Cardinality(S) > Cardinality(Server)
TermAt(lg, k) == IF k = 0 THEN 0 ELSE lg[k].term
LastTermOf(lg) == TermAt(lg, Len(lg))
Min(a, b) == IF a < b THEN a ELSE b
IsLeader(i) == state[i] = "Leader"
Holds(lg, e) == Len(lg) >= e.index /\ lg[e.index].term = e.term

\* No rollback in progress and no event owed: only then a server appends or campaigns.
Serving(i) == rollback[i].phase = "Idle" /\ pendingEvent[i] = {}
\* The term lock: from the check of the plan until the truncation.
Locked(i) == rollback[i].phase = "KeysRestored"

\* The coordinator at rest: its volatile progress is empty.
Idle(i) == [phase |-> "Idle", source |-> i, commonPoint |-> 0, watermark |-> 0, rejoinTerm |-> 0]

\* Key versions after applying the log entries above the last one applied.
Applied(kv, lg) == kv \o SubSeq(lg, Len(kv) + 1, Len(lg))

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

\* The entries of i's log above its plan's common point.
Divergent(i) == {[term |-> log[i][k].term, index |-> k] : k \in (rollback[i].commonPoint + 1)..Len(log[i])}

\* On i's own view: it still believes the plan's source leads, in the plan's term.
PlanCurrent(i) ==
    /\ leaderView[i] = rollback[i].source
    /\ currentTerm[i] = rollback[i].rejoinTerm

\* The re-check at the truncation: the plan is current and the common point is not below the
\* commit point i has learned by now.
TruncateAllowed(i) == PlanCurrent(i) /\ rollback[i].commonPoint >= commitPoint[i].index

-----------------------------------------------------------------------------
Init ==
    /\ committedEntries = {}
    /\ currentTerm = [i \in Server |-> 0]
    /\ state = [i \in Server |-> "Follower"]
    /\ commitPoint = [i \in Server |-> [term |-> 0, index |-> 0]]
    /\ log = [i \in Server |-> << >>]
    /\ leaderView = [i \in Server |-> NoLeader]
    /\ keyVersions = [i \in Server |-> << >>]
    /\ rollback = [i \in Server |-> Idle(i)]
    /\ rollbackFiles = [i \in Server |-> {}]
    /\ pendingEvent = [i \in Server |-> {}]
    /\ events = [i \in Server |-> {}]
    /\ removed = [i \in Server |-> {}]

-----------------------------------------------------------------------------
(* Replication *)

AppendOplog(i, j) ==
    /\ ~IsLeader(i)
    /\ Serving(i)
    /\ SyncableFrom(i, j)
    /\ \E last \in (Len(log[i]) + 1)..Len(log[j]) :
          /\ log' = [log EXCEPT ![i] = @ \o SubSeq(log[j], Len(log[i]) + 1, last)]
          /\ keyVersions' = [keyVersions EXCEPT ![i] = Applied(@, log'[i])]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, leaderView, coordinatorVars>>

\* Whoever's term moves knows no leader in the new term, except a leader, which knows itself.
BecomePrimaryByMagic(i, voters) ==
    /\ Serving(i)
    /\ \A v \in voters : UpToDate(i, v) /\ currentTerm[v] <= currentTerm[i] /\ ~Locked(v)
    /\ Majority(voters)
    /\ state' = [s \in Server |->
                   IF s \in voters THEN IF s = i THEN "Leader" ELSE "Follower" ELSE state[s]]
    /\ currentTerm' = [s \in Server |->
                         IF s \in voters \cup {i} THEN currentTerm[i] + 1 ELSE currentTerm[s]]
    /\ leaderView' = [s \in Server |->
                        IF s \in voters \cup {i}
                        THEN IF state'[s] = "Leader" THEN s ELSE NoLeader
                        ELSE leaderView[s]]
    /\ UNCHANGED <<committedEntries, commitPoint, log, keyVersions, coordinatorVars>>

Stepdown(i) ==
    /\ IsLeader(i)
    /\ state' = [state EXCEPT ![i] = "Follower"]
    /\ leaderView' = [leaderView EXCEPT ![i] = NoLeader]
    /\ UNCHANGED <<committedEntries, currentTerm, commitPoint, log, keyVersions, coordinatorVars>>

ClientWrite(i) ==
    /\ IsLeader(i)
    /\ \E n \in 1..MaxClientWriteSize :
          /\ log' = [log EXCEPT ![i] = @ \o [k \in 1..n |-> [term |-> currentTerm[i]]]]
          /\ keyVersions' = [keyVersions EXCEPT ![i] = Applied(@, log'[i])]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, leaderView, coordinatorVars>>

\* A message with a newer term, from a server not known to lead: the view is cleared.
UpdateTermThroughHeartbeat(i, j) ==
    /\ currentTerm[j] > currentTerm[i]
    /\ ~Locked(i)
    /\ currentTerm' = [currentTerm EXCEPT ![i] = currentTerm[j]]
    /\ state' = [state EXCEPT ![i] = "Follower"]
    /\ leaderView' = [leaderView EXCEPT ![i] = NoLeader]
    /\ UNCHANGED <<committedEntries, commitPoint, log, keyVersions, coordinatorVars>>

\* A heartbeat from a leader: i learns the leader and its term.
LearnLeaderThroughHeartbeat(i, j) ==
    /\ IsLeader(j)
    /\ \/ currentTerm[j] > currentTerm[i]
       \/ currentTerm[j] = currentTerm[i] /\ leaderView[i] # j
    /\ ~Locked(i)
    /\ currentTerm' = [currentTerm EXCEPT ![i] = currentTerm[j]]
    /\ state' = [state EXCEPT ![i] = "Follower"]
    /\ leaderView' = [leaderView EXCEPT ![i] = j]
    /\ UNCHANGED <<committedEntries, commitPoint, log, keyVersions, coordinatorVars>>

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
        /\ UNCHANGED <<currentTerm, state, log, leaderView, keyVersions, coordinatorVars>>

LearnCommitPointWithTermCheck(i, j) ==
    /\ LastTermOf(log[i]) = commitPoint[j].term
    /\ PointBelow(commitPoint[i], commitPoint[j])
    /\ commitPoint' = [commitPoint EXCEPT ![i] = commitPoint[j]]
    /\ UNCHANGED <<committedEntries, currentTerm, state, log, leaderView, keyVersions, coordinatorVars>>

LearnCommitPointFromSyncSourceNeverBeyondLastApplied(i, j) ==
    /\ SyncableFrom(i, j) \/ log[i] = log[j]
    /\ PointBelow(commitPoint[i], commitPoint[j])
    /\ LET learned == IF commitPoint[j].term <= LastTermOf(log[i])
                      THEN commitPoint[j]
                      ELSE [term |-> LastTermOf(log[i]), index |-> Len(log[i])]
       IN  /\ PointBelow(commitPoint[i], learned)   \* never lowers the watermark
           /\ commitPoint' = [commitPoint EXCEPT ![i] = learned]
    /\ UNCHANGED <<committedEntries, currentTerm, state, log, leaderView, keyVersions, coordinatorVars>>

-----------------------------------------------------------------------------
(* The rollback coordinator of server i *)

\* Against the leader i believes in (j), whose log i fetches.
RollbackPlan(i, j) ==
    /\ rollback[i].phase = "Idle"
    /\ pendingEvent[i] = {}
    /\ ~IsLeader(i)
    /\ leaderView[i] = j
    /\ Diverged(i, j)
    /\ LET common == MatchPoint(i, j)
       IN  /\ common >= commitPoint[i].index   \* refuse below the watermark
           /\ rollback' = [rollback EXCEPT ![i] =
                 [phase |-> "Planned", source |-> j, commonPoint |-> common,
                  watermark |-> commitPoint[i].index, rejoinTerm |-> currentTerm[i]]]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, leaderView, keyVersions,
                   rollbackFiles, pendingEvent, events, removed>>

\* The rollback file and the "event pending" marker, in one durable write.
RollbackPersist(i) ==
    /\ rollback[i].phase = "Planned"
    /\ rollbackFiles' = [rollbackFiles EXCEPT ![i] = @ \cup Divergent(i)]
    /\ pendingEvent' = [pendingEvent EXCEPT ![i] = @ \cup Divergent(i)]
    /\ rollback' = [rollback EXCEPT ![i].phase = "Persisted"]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, leaderView, keyVersions,
                   events, removed>>

RollbackPersistFails(i) ==
    /\ rollback[i].phase = "Planned"
    /\ rollback' = [rollback EXCEPT ![i] = Idle(i)]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, leaderView, keyVersions,
                   rollbackFiles, pendingEvent, events, removed>>

\* Check the plan on i's own view, take the term lock, restore the key versions.
RollbackRecover(i) ==
    /\ rollback[i].phase = "Persisted"
    /\ PlanCurrent(i)
    /\ keyVersions' = [keyVersions EXCEPT ![i] = SubSeq(@, 1, Min(rollback[i].commonPoint, Len(@)))]
    /\ rollback' = [rollback EXCEPT ![i].phase = "KeysRestored"]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, leaderView,
                   rollbackFiles, pendingEvent, events, removed>>

\* Re-check, truncate the log, release the term lock.
RollbackTruncate(i) ==
    /\ rollback[i].phase = "KeysRestored"
    /\ TruncateAllowed(i)
    /\ removed' = [removed EXCEPT ![i] = @ \cup Divergent(i)]
    /\ log' = [log EXCEPT ![i] = SubSeq(@, 1, rollback[i].commonPoint)]
    /\ rollback' = [rollback EXCEPT ![i].phase = "Recovered"]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, leaderView, keyVersions,
                   rollbackFiles, pendingEvent, events>>

\* A check that fails gives up: before the keys are restored (the plan went stale) or at the
\* truncation. Nothing was removed: the key versions catch up with the log, no event is owed.
RollbackAbort(i) ==
    /\ \/ rollback[i].phase = "Persisted" /\ ~PlanCurrent(i)
       \/ rollback[i].phase = "KeysRestored" /\ ~TruncateAllowed(i)
    /\ keyVersions' = [keyVersions EXCEPT ![i] = Applied(@, log[i])]
    /\ pendingEvent' = [pendingEvent EXCEPT ![i] = {}]
    /\ rollback' = [rollback EXCEPT ![i] = Idle(i)]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, leaderView,
                   rollbackFiles, events, removed>>

RollbackEmitEvent(i) ==
    /\ rollback[i].phase = "Recovered"
    /\ events' = [events EXCEPT ![i] = @ \cup pendingEvent[i]]
    /\ pendingEvent' = [pendingEvent EXCEPT ![i] = {}]
    /\ rollback' = [rollback EXCEPT ![i].phase = "Emitted"]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, leaderView, keyVersions,
                   rollbackFiles, removed>>

RollbackRejoin(i) ==
    /\ rollback[i].phase = "Emitted"
    /\ rollback' = [rollback EXCEPT ![i] = Idle(i)]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, leaderView, keyVersions,
                   rollbackFiles, pendingEvent, events, removed>>

\* A crash and restart: the coordinator's volatile progress is lost (the term lock with it); the
\* log, commit point, files and event marker survive; startup replays the log into the key versions.
Crash(i) ==
    /\ rollback[i].phase # "Idle"
    /\ rollback' = [rollback EXCEPT ![i] = Idle(i)]
    /\ keyVersions' = [keyVersions EXCEPT ![i] = Applied(@, log[i])]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, leaderView,
                   rollbackFiles, pendingEvent, events, removed>>

\* After a restart: the pending entries the log lost were rolled back and get their event.
RollbackResume(i) ==
    /\ rollback[i].phase = "Idle"
    /\ pendingEvent[i] # {}
    /\ events' = [events EXCEPT ![i] = @ \cup {e \in pendingEvent[i] : ~Holds(log[i], e)}]
    /\ pendingEvent' = [pendingEvent EXCEPT ![i] = {}]
    /\ UNCHANGED <<committedEntries, currentTerm, state, commitPoint, log, leaderView, keyVersions,
                   rollback, rollbackFiles, removed>>

-----------------------------------------------------------------------------
Next ==
    \/ \E i, j \in Server : AppendOplog(i, j)
    \/ \E i \in Server : \E voters \in SUBSET Server : BecomePrimaryByMagic(i, voters)
    \/ \E i \in Server : Stepdown(i)
    \/ \E i \in Server : ClientWrite(i)
    \/ \E i, j \in Server : UpdateTermThroughHeartbeat(i, j)
    \/ \E i, j \in Server : LearnLeaderThroughHeartbeat(i, j)
    \/ AdvanceCommitPoint
    \/ \E i, j \in Server : LearnCommitPointWithTermCheck(i, j)
    \/ \E i, j \in Server : LearnCommitPointFromSyncSourceNeverBeyondLastApplied(i, j)
    \/ \E i, j \in Server : RollbackPlan(i, j)
    \/ \E i \in Server : RollbackPersist(i)
    \/ \E i \in Server : RollbackPersistFails(i)
    \/ \E i \in Server : RollbackRecover(i)
    \/ \E i \in Server : RollbackTruncate(i)
    \/ \E i \in Server : RollbackAbort(i)
    \/ \E i \in Server : RollbackEmitEvent(i)
    \/ \E i \in Server : RollbackRejoin(i)
    \/ \E i \in Server : Crash(i)
    \/ \E i \in Server : RollbackResume(i)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Invariants (named in the ADR) *)

NoTwoPrimariesInSameTerm ==
    \A i, j \in Server : (i # j /\ IsLeader(i) /\ IsLeader(j)) => currentTerm[i] # currentTerm[j]

CommittedStaysOnMajority ==
    \A e \in committedEntries : Majority({i \in Server : Holds(log[i], e)})

EventsNameRemovedEntries == \A i \in Server : events[i] \subseteq removed[i]

KeyVersionsMatchLog ==
    \A i \in Server :
        /\ IsPrefix(keyVersions[i], log[i])
        /\ rollback[i].phase = "Idle" => keyVersions[i] = log[i]

\* Step invariants, as action formulas; each is checked with [][A]_vars.
NeverTruncateKnownCommittedStep ==
    \A i \in Server : \A k \in 1..Min(commitPoint[i].index, Len(log[i])) :
        Holds(log'[i], [term |-> log[i][k].term, index |-> k])

EveryRemovedEntryAnnouncedStep ==
    \A i \in Server :
        (Len(log'[i]) > Len(log[i]) \/ (state'[i] = "Leader" /\ state[i] # "Leader"))
            => removed[i] \subseteq events[i]

RollbackFileBeforeTruncateStep ==
    \A i \in Server : \A k \in 1..Len(log[i]) :
        LET e == [term |-> log[i][k].term, index |-> k]
        IN  ~Holds(log'[i], e) => e \in rollbackFiles[i]

NeverRollbackCommittedStep ==
    \A i \in Server : \A e \in committedEntries : Holds(log[i], e) => Holds(log'[i], e)

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

NeverTruncateKnownCommitted == [][NeverTruncateKnownCommittedStep]_vars
EveryRemovedEntryAnnounced == [][EveryRemovedEntryAnnouncedStep]_vars
RollbackFileBeforeTruncate == [][RollbackFileBeforeTruncateStep]_vars
NeverRollbackCommitted == [][NeverRollbackCommittedStep]_vars
CommonPointIsAgreementPoint == [][CommonPointIsAgreementPointStep]_vars
RejoinedLogIsPrefixOfPrimary == [][RejoinedLogIsPrefixOfPrimaryStep]_vars
CommitPointMonotonic == [][CommitPointMonotonicStep]_vars
===============================================================================
