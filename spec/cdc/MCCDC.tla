-------------------------------- MODULE MCCDC --------------------------------
(* Bounds and rules for model checking CDC.tla; MCCDC.cfg gives replcheck's defaults and the
   base design (baseCdcRules). The model is finite by its guards (Write stops at MaxSeqno,
   Failover and the active's unclean Restart at MaxFailovers new branches), so there is no state
   constraint. Every state has a successor (ConsumerRestart is always enabled). *)
EXTENDS CDC
===============================================================================
