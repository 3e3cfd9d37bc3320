/** The coordinator's phases, in order (their index is the packed value). */
export const PHASES = ["Idle", "Planned", "Persisted", "Recovered", "Emitted"] as const
