------------------------------ MODULE MCRecovery ------------------------------
(* Bounds and rules for model checking Recovery.tla; MCRecovery.cfg gives replcheck's defaults and
   the base design (baseRecoveryRules). The model is finite by its guards (Write stops at MaxLsn,
   Failover at MaxEpoch), so there is no state constraint. *)
EXTENDS Recovery
===============================================================================
