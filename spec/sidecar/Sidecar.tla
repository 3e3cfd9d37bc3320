------------------------------- MODULE Sidecar -------------------------------
(***************************************************************************)
(* Crash-safe multi-table commits under a sidecar (an intent record),      *)
(* published with one manifest compare-and-swap, and concurrent recovery   *)
(* sweeps that roll a dead writer's sidecar forward or back, as decided in *)
(* spec/adr/0002-sidecar-recovery.md. replcheck's model                    *)
(* model/protocols/sidecar/ is the executable twin of this module: at the  *)
(* same bounds and rules both count the same states.                       *)
(*                                                                         *)
(* Branching effects are written with IF-THEN-ELSE, not disjunctions, so   *)
(* TLC generates one successor per action instance, as replcheck counts.   *)
(* A guard (a conjunct before the effect) disables the action; a branch    *)
(* of the effect that changes nothing is still one (stuttering) successor  *)
(* in both tools. A guard that a rule switches off is an implication, not  *)
(* a disjunction: TLC branches on a disjunction in an action even when     *)
(* both disjuncts are state predicates, and would generate the successor   *)
(* twice when both hold.                                                   *)
(*                                                                         *)
(* Every guard and classification reads only what the code can see. author *)
(* and restoredFrom are ghost: which operation's data each version adds,   *)
(* and which version a restore version copies; only the invariants read    *)
(* them (through Content).                                                 *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS
    Writers,      \* 1..W: the writers, one operation each (also the operations' ids)
    Sweeps,       \* 1..S: the concurrent recovery sweeps
    NTables       \* the number of tables

\* The design choices the variants change (SidecarRules in actions.ts; the base values are
\* baseSidecarRules, which MCSidecar.cfg gives).
CONSTANTS
    HealPolicy,          \* "barrier", "defer" or "none": what a writer does about dead writers' sidecars first
    WriteQueue,          \* writers of a table are serialised from their sidecar to their end
    ConditionalRestore,  \* a roll-back restores only if the heads are still the ones it classified against
    Identity,            \* identity-aware sidecars: versions carry their operation's id
    RestoreGuard,        \* a roll-back is recorded in the manifest's lineage, and classification asks it first
    LeaseRequired,       \* a sweep classifies only sidecars whose writer is gone
    SweepPublishCas,     \* a sweep publishes a roll-forward with a CAS (not a blind write)
    OnCasLoss,           \* "reread" or "fail": a sweep's roll-forward whose CAS lost
    ForwardPublishes,    \* a roll-forward publishes the sidecar's versions (not only deletes it)
    AuditOnlyIfDeleted,  \* finishing appends an audit row only if this sweep deletes the sidecar
    UnexpectedRollsBack  \* a table another operation moved makes the sidecar a roll-back (not a deferral)

Tables == 1..NTables
\* The highest table version: each writer commits a table at most once, and each of its commits
\* is undone by at most one restore version. Only steps that would append past it are not taken
\* (the "version-cap" guards, the model's only cap; ADR 0002 says where it was checked not to bind).
MaxVersion == 2 * Cardinality(Writers)
Versions == 0..MaxVersion
None == 0     \* no node (writer or operation)

\* A writer between writing its sidecar and publishing: alive, and holding its queue slots.
Live == {"Armed", "Committed", "Published"}

VARIABLES
    heads,         \* per table: its head version
    manifest,      \* per table: its published version
    lineage,       \* [back, forward]: operations whose roll-back (or, identity-aware, publish) commit the manifest holds
    queue,         \* per table: the writer holding its write-queue slot (None: free)
    tag,           \* identity-aware only: per table and version, the operation whose transaction made it (None: none or a restore)
    writer,        \* per writer: [phase, last]: last is the last table it committed (0: none)
    sidecar,       \* per operation: [pending, tables, expected, target]: its tables, and per table the pin and the post-commit pin
    sweep,         \* per sweep: [phase, op, decision]
    sweepPins,     \* per sweep and table: the published version it read when it classified
    sweepHeads,    \* per sweep and table: the head it read when it classified
    audit,         \* per operation: [rows, outcome]: its recovery audit rows and the last one's outcome
    author,        \* ghost: per table and version, the operation whose data it adds (None: none)
    restoredFrom   \* ghost: per table and version, for a restore version the version it copies plus 1 (0: not a restore)

vars == <<heads, manifest, lineage, queue, tag, writer, sidecar, sweep, sweepPins, sweepHeads, audit, author, restoredFrom>>

NoVersions == [t \in Tables |-> 0]
PerVersion(x) == [t \in Tables |-> [v \in Versions |-> x]]
IdleSweep == [phase |-> "Idle", op |-> None, decision |-> "None"]

Init ==
    /\ heads = NoVersions
    /\ manifest = NoVersions
    /\ lineage = [back |-> {}, forward |-> {}]
    /\ queue = [t \in Tables |-> None]
    /\ tag = PerVersion(None)
    /\ writer = [w \in Writers |-> [phase |-> "Start", last |-> 0]]
    /\ sidecar = [w \in Writers |-> [pending |-> FALSE, tables |-> {}, expected |-> NoVersions, target |-> NoVersions]]
    /\ sweep = [s \in Sweeps |-> IdleSweep]
    /\ sweepPins = [s \in Sweeps |-> NoVersions]
    /\ sweepHeads = [s \in Sweeps |-> NoVersions]
    /\ audit = [w \in Writers |-> [rows |-> 0, outcome |-> "None"]]
    /\ author = PerVersion(None)
    /\ restoredFrom = PerVersion(0)

-----------------------------------------------------------------------------
(* Helpers *)

Min(S) == CHOOSE k \in S : \A j \in S : k <= j

\* The published version of every table of op w's sidecar is at least its post-commit pin
\* (Omnigraph's "intent satisfied"): what a sweep re-reads after its CAS lost.
PublishedReachesTarget(w) == \A t \in sidecar[w].tables : manifest[t] >= sidecar[w].target[t]

\* The CAS of a forward publish: every table of op w's sidecar is still published at its pin.
PinsHold(w) == \A t \in sidecar[w].tables : manifest[t] = sidecar[w].expected[t]

\* Classification, identity-blind (Omnigraph's strict mode), per table of the sidecar: the head
\* is the published version (not moved); or one past it, with the pin equal to the published
\* version and the post-commit pin equal to the head (rolled past expected); or anything else
\* (unexpected: another operation moved it).
Moved(w) == {t \in sidecar[w].tables : heads[t] # manifest[t]}
RolledPast(w) == {t \in sidecar[w].tables :
                    /\ heads[t] = manifest[t] + 1
                    /\ sidecar[w].expected[t] = manifest[t]
                    /\ sidecar[w].target[t] = heads[t]}
PinPassed(w) == \E t \in sidecar[w].tables : manifest[t] > sidecar[w].expected[t]

\* Identity-aware: the tables whose head is the operation's own version.
OwnHeads(w) == {t \in sidecar[w].tables : tag[t][heads[t]] = w}

\* How a sweep (or a healing writer) classifies op w's sidecar now, from what it can read:
\* "Forward", "Back", "DoneForward", "DoneBack" (the outcome is already visible: record it
\* without writing) or "None" (cannot be resolved now: deferred).
Classify(w) ==
    IF Identity
    THEN IF w \in lineage.forward THEN "DoneForward"
         ELSE IF w \in lineage.back THEN "DoneBack"
         ELSE IF OwnHeads(w) = sidecar[w].tables /\ PinsHold(w) THEN "Forward"
         ELSE "Back"
    ELSE IF RestoreGuard /\ w \in lineage.back THEN "DoneBack"
    ELSE IF RolledPast(w) = sidecar[w].tables THEN "Forward"
    \* No table moved and a published version is past the pin: the publish happened, only the
    \* sidecar is left.
    ELSE IF Moved(w) = {} /\ PinPassed(w) THEN "DoneForward"
    ELSE IF Moved(w) \ RolledPast(w) # {} /\ ~UnexpectedRollsBack THEN "None"
    ELSE "Back"

IsForward(d) == d \in {"Forward", "DoneForward"}

\* Heal resolves roll-forwards only, in the writer's own process (a roll-back is left to a sweep).
Healable(o) == Classify(o) \in {"Forward", "DoneForward", "DoneBack"}

\* A dead writer's sidecar that writer w may not write past: any (barrier), a healable one
\* (defer), none.
BlocksWriter(w) ==
    /\ HealPolicy # "none"
    /\ \E o \in Writers :
          /\ o # w
          /\ sidecar[o].pending
          /\ writer[o].phase \notin Live
          /\ HealPolicy = "barrier" \/ Healable(o)

\* Are the write-queue slots of every table in ts free?
SlotsFree(ts) == \A t \in ts : queue[t] = None

\* The queue with every slot writer h holds freed.
Released(h) == [t \in Tables |-> IF queue[t] = h THEN None ELSE queue[t]]

\* The lowest table of op w's sidecar past table k (0: none left).
NextAfter(w, k) == LET later == {j \in sidecar[w].tables : j > k} IN IF later = {} THEN 0 ELSE Min(later)
NextTable(w) == NextAfter(w, writer[w].last)

\* Publishing op w's post-commit pins on its tables (with identity: and its publish in the lineage).
PublishForward(w) ==
    /\ manifest' = [t \in Tables |-> IF t \in sidecar[w].tables THEN sidecar[w].target[t] ELSE manifest[t]]
    /\ lineage' = IF Identity THEN [lineage EXCEPT !.forward = @ \cup {w}] ELSE lineage

\* Deleting op w's sidecar and appending its audit row: one step.
Finish(w, outcome) ==
    /\ sidecar' = [sidecar EXCEPT ![w].pending = FALSE]
    /\ audit' = [audit EXCEPT ![w] = [rows |-> @.rows + 1, outcome |-> outcome]]

\* Sweep s back to idle: its record, pins and heads dropped.
Idle(s) ==
    /\ sweep' = [sweep EXCEPT ![s] = IdleSweep]
    /\ sweepPins' = [sweepPins EXCEPT ![s] = NoVersions]
    /\ sweepHeads' = [sweepHeads EXCEPT ![s] = NoVersions]

\* Does sweep s's roll-back of op w restore table t? Identity-blind: a table whose head moved past
\* the published version the sweep read. Identity-aware: a table whose head is the operation's
\* own version (another operation's head is not its to undo).
Restores(s, w, t) ==
    IF Identity THEN tag[t][heads[t]] = w ELSE heads[t] # sweepPins[s][t]

-----------------------------------------------------------------------------
(* Writers *)

\* Writer w (not yet started) heals op o's sidecar, left by a dead writer: in w's own process,
\* under the sidecar's queue slots, it classifies, publishes and finishes. A roll-forward's CAS
\* cannot lose here: its classification saw every pin in place.
Heal(w, o) ==
    /\ writer[w].phase = "Start"
    /\ HealPolicy # "none"
    /\ sidecar[o].pending /\ writer[o].phase \notin Live
    /\ WriteQueue => SlotsFree(sidecar[o].tables)
    /\ LET decision == Classify(o)
       IN  /\ Healable(o)    \* else it needs a roll-back, which heal leaves to a sweep
           /\ IF decision = "Forward" THEN PublishForward(o) ELSE UNCHANGED <<manifest, lineage>>
           /\ Finish(o, IF decision = "DoneBack" THEN "RolledBack" ELSE "RolledForward")
    /\ UNCHANGED <<heads, queue, tag, writer, sweep, sweepPins, sweepHeads, author, restoredFrom>>

\* Writer w takes the write-queue slots of tables ts and writes its sidecar, from a fresh read
\* of the manifest. A table whose head is past its published version has drifted (another
\* writer's unpublished commit), and the write refuses.
WriteSidecar(w, ts) ==
    /\ writer[w].phase = "Start"
    /\ WriteQueue => SlotsFree(ts)
    /\ ~BlocksWriter(w)    \* heal first
    \* version-cap: only a write that would arm, and so commit past the cap, is not taken.
    /\ (\A t \in ts : heads[t] = manifest[t]) => \A t \in ts : manifest[t] < MaxVersion
    /\ IF \E t \in ts : heads[t] # manifest[t]
       THEN /\ writer' = [writer EXCEPT ![w].phase = "Failed"]
            /\ UNCHANGED <<sidecar, queue>>
       ELSE /\ writer' = [writer EXCEPT ![w].phase = "Armed"]
            /\ sidecar' = [sidecar EXCEPT ![w] =
                             [pending |-> TRUE,
                              tables |-> ts,
                              expected |-> [t \in Tables |-> IF t \in ts THEN manifest[t] ELSE sidecar[w].expected[t]],
                              target |-> [t \in Tables |-> IF t \in ts THEN manifest[t] + 1 ELSE sidecar[w].target[t]]]]
            /\ queue' = IF WriteQueue THEN [t \in Tables |-> IF t \in ts THEN w ELSE queue[t]] ELSE queue
    /\ UNCHANGED <<heads, manifest, lineage, tag, sweep, sweepPins, sweepHeads, audit, author, restoredFrom>>

\* Writer w commits the next table of its sidecar: a conditional commit with no rebase (the
\* table must still be at the pin), one version.
CommitTable(w) ==
    /\ writer[w].phase = "Armed"
    /\ LET k == NextTable(w)
           target == sidecar[w].target[k]
       IN  IF heads[k] # sidecar[w].expected[k]
           THEN /\ writer' = [writer EXCEPT ![w].phase = "Failed"]
                /\ queue' = Released(w)
                /\ UNCHANGED <<heads, tag, author>>
           ELSE /\ heads' = [heads EXCEPT ![k] = target]
                /\ author' = [author EXCEPT ![k][target] = w]
                /\ tag' = IF Identity THEN [tag EXCEPT ![k][target] = w] ELSE tag
                /\ writer' = [writer EXCEPT ![w] = [phase |-> IF NextAfter(w, k) = 0 THEN "Committed" ELSE @.phase,
                                                    last |-> k]]
                /\ UNCHANGED queue
    /\ UNCHANGED <<manifest, lineage, sidecar, sweep, sweepPins, sweepHeads, audit, restoredFrom>>

\* Writer w publishes with a CAS on the published versions of its tables.
PublishManifest(w) ==
    /\ writer[w].phase = "Committed"
    /\ IF PinsHold(w)
       THEN /\ PublishForward(w)
            /\ writer' = [writer EXCEPT ![w].phase = "Published"]
            /\ UNCHANGED queue
       ELSE /\ writer' = [writer EXCEPT ![w].phase = "Failed"]
            /\ queue' = Released(w)
            /\ UNCHANGED <<manifest, lineage>>
    /\ UNCHANGED <<heads, tag, sidecar, sweep, sweepPins, sweepHeads, audit, author, restoredFrom>>

DeleteSidecar(w) ==
    /\ writer[w].phase = "Published"
    /\ sidecar' = [sidecar EXCEPT ![w].pending = FALSE]
    /\ writer' = [writer EXCEPT ![w].phase = "Done"]
    /\ queue' = Released(w)
    /\ UNCHANGED <<heads, manifest, lineage, tag, sweep, sweepPins, sweepHeads, audit, author, restoredFrom>>

\* A crash at any point after the sidecar: it frees the slots and leaves the sidecar to recovery.
CrashWriter(w) ==
    /\ writer[w].phase \in Live
    /\ writer' = [writer EXCEPT ![w].phase = "Crashed"]
    /\ queue' = Released(w)
    /\ UNCHANGED <<heads, manifest, lineage, tag, sidecar, sweep, sweepPins, sweepHeads, audit, author, restoredFrom>>

-----------------------------------------------------------------------------
(* Sweeps (other processes opening the store; the write queue is not theirs) *)

\* Sweep s classifies op w's pending sidecar, and records the published versions and heads it read.
SweepClassify(s, w) ==
    /\ sweep[s].phase = "Idle"
    /\ sidecar[w].pending
    /\ LeaseRequired => writer[w].phase \notin Live    \* the lease: the op's writer is gone
    /\ LET decision == Classify(w)
       IN  /\ decision # "None"    \* deferred: a table moved on without it
           /\ sweep' = [sweep EXCEPT ![s] = [phase |-> "Classified", op |-> w, decision |-> decision]]
    /\ sweepPins' = [sweepPins EXCEPT ![s] = manifest]
    /\ sweepHeads' = [sweepHeads EXCEPT ![s] = heads]
    /\ UNCHANGED <<heads, manifest, lineage, queue, tag, writer, sidecar, audit, author, restoredFrom>>

\* Sweep s applies its decision. Roll forward: publish, by CAS on the pins; if the CAS loses,
\* re-read the manifest: converge if the intent is satisfied, else defer (back to idle). Roll
\* back: a restore version (a copy of the published version read at classification) on each
\* table Restores picks, then publish them by CAS from the versions read; a lost CAS leaves the
\* restore versions appended and defers.
SweepApply(s) ==
    /\ sweep[s].phase = "Classified"
    /\ LET w == sweep[s].op
           decision == sweep[s].decision
           restored == {t \in sidecar[w].tables : Restores(s, w, t)}
           Converge == /\ sweep' = [sweep EXCEPT ![s].phase = "Converged"]
                       /\ UNCHANGED <<sweepPins, sweepHeads>>
           Fail == /\ sweep' = [sweep EXCEPT ![s].phase = "Failed"]
                   /\ UNCHANGED <<sweepPins, sweepHeads>>
           \* version-cap: only a roll-back that would append past the cap is not taken.
           WouldAppend == ~ConditionalRestore \/ \A t \in restored : heads[t] = sweepHeads[s][t]
       IN  /\ (decision = "Back" /\ WouldAppend) => \A t \in restored : heads[t] < MaxVersion
           /\ IF decision \in {"DoneForward", "DoneBack"}
              THEN /\ Converge
                   /\ UNCHANGED <<heads, manifest, lineage, restoredFrom>>
              ELSE IF decision = "Forward"
              THEN /\ UNCHANGED <<heads, restoredFrom>>
                   /\ IF ~ForwardPublishes
                      THEN Converge /\ UNCHANGED <<manifest, lineage>>
                      ELSE IF ~SweepPublishCas \/ PinsHold(w)
                      THEN Converge /\ PublishForward(w)
                      ELSE IF OnCasLoss = "fail"
                      THEN Fail /\ UNCHANGED <<manifest, lineage>>
                      \* The CAS lost: re-read the manifest.
                      ELSE IF (IF Identity THEN w \in lineage.forward ELSE PublishedReachesTarget(w))
                      THEN Converge /\ UNCHANGED <<manifest, lineage>>
                      ELSE Idle(s) /\ UNCHANGED <<manifest, lineage>>
              ELSE IF ConditionalRestore /\ \E t \in restored : heads[t] # sweepHeads[s][t]
              THEN Idle(s) /\ UNCHANGED <<heads, manifest, lineage, restoredFrom>>
              ELSE /\ heads' = [t \in Tables |-> IF t \in restored THEN heads[t] + 1 ELSE heads[t]]
                   /\ restoredFrom' = [t \in Tables |->
                                         IF t \in restored
                                         THEN [restoredFrom[t] EXCEPT ![heads[t] + 1] = sweepPins[s][t] + 1]
                                         ELSE restoredFrom[t]]
                   /\ IF \A t \in restored : manifest[t] = sweepPins[s][t]
                      THEN /\ manifest' = [t \in Tables |-> IF t \in restored THEN heads[t] + 1 ELSE manifest[t]]
                           /\ lineage' = IF RestoreGuard \/ Identity THEN [lineage EXCEPT !.back = @ \cup {w}] ELSE lineage
                           /\ Converge
                      ELSE Idle(s) /\ UNCHANGED <<manifest, lineage>>
    /\ UNCHANGED <<queue, tag, writer, sidecar, audit, author>>

\* Sweep s deletes the sidecar and appends the audit row in one step (only if the sidecar is still
\* there, with AuditOnlyIfDeleted), and goes back to idle.
SweepFinish(s) ==
    /\ sweep[s].phase = "Converged"
    /\ LET w == sweep[s].op
       IN  IF sidecar[w].pending \/ ~AuditOnlyIfDeleted
           THEN Finish(w, IF IsForward(sweep[s].decision) THEN "RolledForward" ELSE "RolledBack")
           ELSE UNCHANGED <<sidecar, audit>>
    /\ Idle(s)
    /\ UNCHANGED <<heads, manifest, lineage, queue, tag, writer, author, restoredFrom>>

Next ==
    \/ \E w, o \in Writers : Heal(w, o)
    \/ \E w \in Writers, ts \in SUBSET Tables \ {{}} : WriteSidecar(w, ts)
    \/ \E w \in Writers : CommitTable(w)
    \/ \E w \in Writers : PublishManifest(w)
    \/ \E w \in Writers : DeleteSidecar(w)
    \/ \E w \in Writers : CrashWriter(w)
    \/ \E s \in Sweeps, w \in Writers : SweepClassify(s, w)
    \/ \E s \in Sweeps : SweepApply(s)
    \/ \E s \in Sweeps : SweepFinish(s)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Invariants (named in ADR 0002). The ones about data read the ghost record of which         *)
(* operations' writes each version holds (Content), never version numbers as a proxy for it.  *)

\* The data version v of table t holds: the set of operations whose writes it contains. A restore
\* version holds what the version it copies holds.
RECURSIVE Content(_, _)
Content(t, v) ==
    IF v = 0 THEN {}
    ELSE IF restoredFrom[t][v] > 0 THEN Content(t, restoredFrom[t][v] - 1)
    ELSE (IF author[t][v] # None THEN {author[t][v]} ELSE {}) \cup Content(t, v - 1)

\* The published version of every (some) table of op w's sidecar holds w's data.
PublishedHoldsOpData(w) == \A t \in sidecar[w].tables : w \in Content(t, manifest[t])
PublishedHoldsAnyOpData(w) == \E t \in sidecar[w].tables : w \in Content(t, manifest[t])

OpenNeverFailsOnConvergence ==
    \A s \in Sweeps : sweep[s].phase = "Failed" => ~PublishedHoldsOpData(sweep[s].op)

AuditAtMostOncePerOperation == \A w \in Writers : audit[w].rows <= 1

\* Once every writer has finished and every sweep is idle, a pending sidecar means some sweep can
\* still resolve one (the variant's own classification).
NoSidecarLeftAtQuiescence ==
    (/\ \A w \in Writers : writer[w].phase \notin {"Start"} \cup Live
     /\ \A s \in Sweeps : sweep[s].phase = "Idle"
     /\ \E w \in Writers : sidecar[w].pending)
        => \E w \in Writers : sidecar[w].pending /\ Classify(w) # "None"

VersionsMonotonicStep ==
    \A t \in Tables : heads'[t] >= heads[t] /\ manifest'[t] >= manifest[t]

\* No step removes an operation's data from a table's published version, or a live writer's data
\* from a table's head.
NoCommittedDataLostStep ==
    \A t \in Tables :
        /\ Content(t, manifest[t]) \subseteq Content(t, manifest[t])'
        /\ \A w \in Writers :
              (writer[w].phase \in Live /\ w \in Content(t, heads[t])) => w \in Content(t, heads[t])'

\* The step appends an audit row for op w with this outcome.
Recorded(w, outcome) == audit'[w].rows > audit[w].rows /\ audit'[w].outcome = outcome

RollForwardReflectsOpDataStep ==
    \A w \in Writers : Recorded(w, "RolledForward") => PublishedHoldsOpData(w)'

RollBackLeavesNoOpDataStep ==
    \A w \in Writers : Recorded(w, "RolledBack") => ~PublishedHoldsAnyOpData(w)'

\* A sweep's roll-forward whose CAS lost (a table of the sidecar was no longer published at its
\* pin) and that converged without writing the manifest: the published versions hold the data.
ConvergeAfterCasLossReflectsOpDataStep ==
    \A s \in Sweeps :
        LET w == sweep[s].op IN
        (/\ sweep[s].phase = "Classified" /\ sweep[s].decision = "Forward"
         /\ sweep'[s].phase = "Converged"
         /\ ~PinsHold(w)
         /\ manifest' = manifest)
            => PublishedHoldsOpData(w)'

VersionsMonotonic == [][VersionsMonotonicStep]_vars
NoCommittedDataLost == [][NoCommittedDataLostStep]_vars
RollForwardReflectsOpData == [][RollForwardReflectsOpDataStep]_vars
RollBackLeavesNoOpData == [][RollBackLeavesNoOpDataStep]_vars
ConvergeAfterCasLossReflectsOpData == [][ConvergeAfterCasLossReflectsOpDataStep]_vars
===============================================================================
