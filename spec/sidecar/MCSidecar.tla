------------------------------ MODULE MCSidecar ------------------------------
(* Bounds and rules for model checking Sidecar.tla; MCSidecar.cfg gives replcheck's defaults and
   the base design (baseSidecarRules). The model is finite by construction (one operation per
   writer, and the version-cap guards), so there is no state constraint. *)
EXTENDS Sidecar
===============================================================================
