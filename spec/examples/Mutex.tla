------------------------------- MODULE Mutex -------------------------------
(***************************************************************************)
(* The mutex example of model/protocols/examples/mutex.ts, for a parity   *)
(* check of liveness with TLC: N processes go idle -> waiting -> critical  *)
(* -> idle; Enter needs the lock, Exit releases it. WaitingEntersCritical  *)
(* (starvation freedom) holds under SF(Enter(i)) and fails under           *)
(* WF(Enter(i)): another process may keep taking the lock, so that it is   *)
(* free only now and then.                                                 *)
(***************************************************************************)
EXTENDS Naturals

CONSTANT N

VARIABLES pc, lock
vars == <<pc, lock>>

Procs == 1..N

Init == pc = [i \in Procs |-> "idle"] /\ lock = FALSE

Request(i) == pc[i] = "idle" /\ pc' = [pc EXCEPT ![i] = "waiting"] /\ UNCHANGED lock
Enter(i) == pc[i] = "waiting" /\ ~lock /\ pc' = [pc EXCEPT ![i] = "critical"] /\ lock' = TRUE
Exit(i) == pc[i] = "critical" /\ pc' = [pc EXCEPT ![i] = "idle"] /\ lock' = FALSE

Next == \E i \in Procs : Request(i) \/ Enter(i) \/ Exit(i)

\* The base model: SF(Enter(i)), WF(Exit(i)).
Spec == Init /\ [][Next]_vars /\ \A i \in Procs : SF_vars(Enter(i)) /\ WF_vars(Exit(i))
\* Variant weak-enter: WF(Enter(i)), WF(Exit(i)).
SpecWeakEnter == Init /\ [][Next]_vars /\ \A i \in Procs : WF_vars(Enter(i)) /\ WF_vars(Exit(i))

WaitingEntersCritical == \A i \in Procs : (pc[i] = "waiting") ~> (pc[i] = "critical")

MutualExclusion == \A i, j \in Procs : i # j => ~(pc[i] = "critical" /\ pc[j] = "critical")
=============================================================================
