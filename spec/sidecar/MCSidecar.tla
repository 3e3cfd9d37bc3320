------------------------------ MODULE MCSidecar ------------------------------
(* Bounds for model checking Sidecar.tla; MCSidecar.cfg gives replcheck's defaults. The model is
   finite by construction (one operation per writer), so there is no state constraint. *)
EXTENDS Sidecar
===============================================================================
