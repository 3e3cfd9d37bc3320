------------------------------ MODULE MCRollback ------------------------------
(* Bounds for model checking Rollback.tla; MCRollback.cfg gives replcheck's defaults. *)
EXTENDS Rollback

CONSTANTS MaxTerm, MaxLogLen

StateConstraint == \A i \in Server : currentTerm[i] <= MaxTerm /\ Len(log[i]) <= MaxLogLen
===============================================================================
