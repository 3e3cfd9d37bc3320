------------------------------- MODULE Sidecar -------------------------------
(***************************************************************************)
(* Crash-safe two-table commits under a sidecar, and concurrent recovery   *)
(* sweeps, as decided in spec/adr/0002-sidecar-recovery.md. replcheck's    *)
(* model model/protocols/sidecar/ is the executable twin of this module:   *)
(* at the same bounds both count the same distinct states.                 *)
(*                                                                         *)
(* Branching effects are written with IF-THEN-ELSE, not disjunctions, so   *)
(* TLC generates one successor per action instance, as replcheck counts.   *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS Writers, Sweeps

Tables == {1, 2}
MaxVersion == Cardinality(Writers)
Live == {"SidecarWritten", "CommittedFirst", "CommittedBoth", "Published"}

VARIABLES
    heads,        \* per table: its current version
    manifest,     \* [version, tables]: the published versions and a CAS counter
    committedBy,  \* per table and version: the op that committed it (0: none)
    writer,       \* per writer (one op each): [phase, seen]
    sidecar,      \* per op: [pending, expected, target]
    sweep,        \* per sweep: [phase, op, decision, seen]
    audit         \* per op: recovery audit rows

vars == <<heads, manifest, committedBy, writer, sidecar, sweep, audit>>

IdleSweep == [phase |-> "Idle", op |-> 0, decision |-> "None", seen |-> 0]

Init ==
    /\ heads = [t \in Tables |-> 0]
    /\ manifest = [version |-> 0, tables |-> [t \in Tables |-> 0]]
    /\ committedBy = [t \in Tables |-> [v \in 0..MaxVersion |-> 0]]
    /\ writer = [w \in Writers |-> [phase |-> "Start", seen |-> 0]]
    /\ sidecar = [w \in Writers |-> [pending |-> FALSE, expected |-> [t \in Tables |-> 0], target |-> [t \in Tables |-> 0]]]
    /\ sweep = [s \in Sweeps |-> IdleSweep]
    /\ audit = [w \in Writers |-> 0]

-----------------------------------------------------------------------------
(* Helpers *)

\* The manifest holds op w's versions or newer ones: its publish happened.
PublishedOrNewer(w) == \A t \in Tables : manifest.tables[t] >= sidecar[w].target[t]

\* The tables whose head is op w's own version.
Past(w) == {t \in Tables : heads[t] = sidecar[w].target[t] /\ committedBy[t][sidecar[w].target[t]] = w}

Classification(w) ==
    IF PublishedOrNewer(w) THEN "Forward"
    ELSE IF Past(w) = Tables THEN "Forward"
    ELSE IF Past(w) # {} THEN "Back"
    ELSE "Abort"

-----------------------------------------------------------------------------
(* Writers *)

WriteSidecar(w) ==
    /\ writer[w].phase = "Start"
    \* Heal first: no crashed or aborted writer's sidecar is pending.
    /\ \A o \in Writers : sidecar[o].pending => writer[o].phase \in Live
    /\ writer' = [writer EXCEPT ![w] = [phase |-> "SidecarWritten", seen |-> manifest.version]]
    /\ sidecar' = [sidecar EXCEPT ![w] = [pending |-> TRUE,
                                          expected |-> manifest.tables,
                                          target |-> [t \in Tables |-> manifest.tables[t] + 1]]]
    /\ UNCHANGED <<heads, manifest, committedBy, sweep, audit>>

CommitTable(w) ==
    /\ writer[w].phase \in {"SidecarWritten", "CommittedFirst"}
    /\ LET k == IF writer[w].phase = "SidecarWritten" THEN 1 ELSE 2
           target == sidecar[w].target[k]
       IN  IF heads[k] = sidecar[w].expected[k] /\ target <= MaxVersion
           THEN /\ heads' = [heads EXCEPT ![k] = target]
                /\ committedBy' = [committedBy EXCEPT ![k][target] = w]
                /\ writer' = [writer EXCEPT ![w].phase = IF k = 1 THEN "CommittedFirst" ELSE "CommittedBoth"]
           ELSE /\ writer' = [writer EXCEPT ![w].phase = "Aborted"]
                /\ UNCHANGED <<heads, committedBy>>
    /\ UNCHANGED <<manifest, sidecar, sweep, audit>>

PublishManifest(w) ==
    /\ writer[w].phase = "CommittedBoth"
    /\ IF manifest.version = writer[w].seen
       THEN /\ manifest' = [version |-> manifest.version + 1, tables |-> sidecar[w].target]
            /\ writer' = [writer EXCEPT ![w].phase = "Published"]
       ELSE /\ writer' = [writer EXCEPT ![w].phase = "Aborted"]
            /\ UNCHANGED manifest
    /\ UNCHANGED <<heads, committedBy, sidecar, sweep, audit>>

DeleteSidecar(w) ==
    /\ writer[w].phase = "Published"
    /\ sidecar' = [sidecar EXCEPT ![w].pending = FALSE]
    /\ writer' = [writer EXCEPT ![w].phase = "Done"]
    /\ UNCHANGED <<heads, manifest, committedBy, sweep, audit>>

CrashWriter(w) ==
    /\ writer[w].phase \in Live
    /\ writer' = [writer EXCEPT ![w].phase = "Crashed"]
    /\ UNCHANGED <<heads, manifest, committedBy, sidecar, sweep, audit>>

-----------------------------------------------------------------------------
(* Sweeps *)

SweepClassify(s, w) ==
    /\ sweep[s].phase = "Idle"
    /\ sidecar[w].pending
    /\ writer[w].phase \notin Live    \* the lease: the op's writer is gone
    /\ sweep' = [sweep EXCEPT ![s] = [phase |-> "Classified", op |-> w,
                                      decision |-> Classification(w), seen |-> manifest.version]]
    /\ UNCHANGED <<heads, manifest, committedBy, writer, sidecar, audit>>

SweepApply(s) ==
    /\ sweep[s].phase = "Classified"
    /\ LET w == sweep[s].op
       IN  IF sweep[s].decision = "Forward"
           THEN IF PublishedOrNewer(w) /\ sweep[s].seen = manifest.version
                THEN /\ sweep' = [sweep EXCEPT ![s].phase = "Converged"]
                     /\ UNCHANGED <<heads, manifest>>
                ELSE IF manifest.version = sweep[s].seen
                THEN /\ manifest' = [version |-> manifest.version + 1, tables |-> sidecar[w].target]
                     /\ sweep' = [sweep EXCEPT ![s].phase = "Converged"]
                     /\ UNCHANGED heads
                \* The CAS lost: re-read the manifest; converge on the goal, else defer.
                ELSE /\ sweep' = [sweep EXCEPT ![s].phase = IF PublishedOrNewer(w) THEN "Converged" ELSE "Idle"]
                     /\ UNCHANGED <<heads, manifest>>
           ELSE IF sweep[s].decision = "Abort"
           THEN /\ sweep' = [sweep EXCEPT ![s].phase = "Converged"]
                /\ UNCHANGED <<heads, manifest>>
           \* Back: restore each table that still holds this op's version.
           ELSE /\ heads' = [t \in Tables |->
                               IF heads[t] = sidecar[w].target[t] /\ committedBy[t][sidecar[w].target[t]] = w
                               THEN sidecar[w].expected[t] ELSE heads[t]]
                /\ sweep' = [sweep EXCEPT ![s].phase = "Converged"]
                /\ UNCHANGED manifest
    /\ UNCHANGED <<committedBy, writer, sidecar, audit>>

SweepFinish(s) ==
    /\ sweep[s].phase = "Converged"
    /\ LET w == sweep[s].op
       IN  IF sidecar[w].pending
           THEN /\ sidecar' = [sidecar EXCEPT ![w].pending = FALSE]
                /\ audit' = [audit EXCEPT ![w] = @ + 1]
           ELSE UNCHANGED <<sidecar, audit>>
    /\ sweep' = [sweep EXCEPT ![s] = IdleSweep]
    /\ UNCHANGED <<heads, manifest, committedBy, writer>>

Next ==
    \/ \E w \in Writers : WriteSidecar(w)
    \/ \E w \in Writers : CommitTable(w)
    \/ \E w \in Writers : PublishManifest(w)
    \/ \E w \in Writers : DeleteSidecar(w)
    \/ \E w \in Writers : CrashWriter(w)
    \/ \E s \in Sweeps, w \in Writers : SweepClassify(s, w)
    \/ \E s \in Sweeps : SweepApply(s)
    \/ \E s \in Sweeps : SweepFinish(s)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Invariants (named in ADR 0002) *)

OpenNeverFailsOnConvergence ==
    \A s \in Sweeps : sweep[s].phase = "Failed" => ~(\A t \in Tables : manifest.tables[t] = sidecar[sweep[s].op].target[t])

AuditAtMostOncePerOperation == \A w \in Writers : audit[w] <= 1

\* Once every writer has finished and every sweep is idle, a pending sidecar means some sweep can
\* still resolve one. (Every classification here resolves; the ADR's first design deferred some.)
Resolvable(w) == Classification(w) \in {"Forward", "Back", "Abort"}
NoSidecarLeftAtQuiescence ==
    (/\ \A w \in Writers : writer[w].phase \in {"Done", "Crashed", "Aborted"}
     /\ \A s \in Sweeps : sweep[s].phase = "Idle"
     /\ \E w \in Writers : sidecar[w].pending)
        => \E w \in Writers : sidecar[w].pending /\ Resolvable(w)

ManifestVersionMonotonicStep ==
    /\ manifest'.version >= manifest.version
    /\ \A t \in Tables : manifest'.tables[t] >= manifest.tables[t]

NoCommittedVersionLostStep ==
    \A t \in Tables :
        heads'[t] < heads[t] =>
            /\ manifest.tables[t] # heads[t]
            /\ LET by == committedBy[t][heads[t]] IN by = 0 \/ writer[by].phase \notin Live

ManifestReflectsIntentAfterRollForwardStep ==
    \A s \in Sweeps :
        (sweep[s].phase = "Classified" /\ sweep[s].decision = "Forward" /\ sweep'[s].phase = "Converged")
            => \A t \in Tables : manifest'.tables[t] >= sidecar[sweep[s].op].target[t]

ManifestVersionMonotonic == [][ManifestVersionMonotonicStep]_vars
NoCommittedVersionLost == [][NoCommittedVersionLostStep]_vars
ManifestReflectsIntentAfterRollForward == [][ManifestReflectsIntentAfterRollForwardStep]_vars
===============================================================================
