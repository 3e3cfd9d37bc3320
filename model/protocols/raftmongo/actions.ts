/**
 * The actions of RaftMongo.tla, one family per action operator, in the order of its `Next`.
 * Every existential choice of the TLA+ action (`\E lastAppended`, `\E ayeVoters`, `\E numEntries`,
 * `\E acknowledgers`, `\E committedIndex`) is a separate emitted successor, as TLC counts them.
 *
 * The guards a design change is likely to touch are `Rules`, so a variant is a one-line diff.
 */
import type { ActionFamily, Successors } from "../../engine/model.js"
import { FOLLOWER, idsOf, LEADER, type RaftLayout } from "./layout.js"

/** Guards that variants (and protocols built on RaftMongo) may replace. */
export interface Rules {
  /** BecomePrimaryByMagic: may this set of voters (bitmask) elect a primary? (IsMajority) */
  readonly electionQuorum: (L: RaftLayout, voters: number) => boolean
  /** BecomePrimaryByMagic: may `voter` vote for `candidate`? (NotBehind and no higher term) */
  readonly voterAccepts: (L: RaftLayout, s: Uint8Array, candidate: number, voter: number) => boolean
  /** Extra guard on the candidate of BecomePrimaryByMagic and the recipient of AppendOplog. */
  readonly mayChangeLog: (L: RaftLayout, s: Uint8Array, i: number) => boolean
  /**
   * LearnCommitPointFromSyncSourceNeverBeyondLastApplied: is it enabled only when the commit
   * point it would set is higher than the learner's? (RaftMongo: no, so it can lower it)
   */
  readonly learnOnlyHigher: boolean
  /** AdvanceCommitPoint: may the leader commit at this index? (LogTerm = currentTerm[leader]) */
  readonly commitEligible: (L: RaftLayout, s: Uint8Array, leader: number, index: number) => boolean
  /** LearnCommitPointWithTermCheck: the term check (LastTerm(log[i]) = commitPoint[j].term). */
  readonly learnTermCheck: (L: RaftLayout, s: Uint8Array, i: number, j: number) => boolean
}

export const baseRules: Rules = {
  electionQuorum: (L, voters) => L.isMajority(voters),
  voterAccepts: (L, s, candidate, voter) => L.notBehind(s, candidate, voter) && L.term(s, voter) <= L.term(s, candidate),
  mayChangeLog: () => true,
  learnOnlyHigher: false,
  commitEligible: (L, s, leader, index) => L.logTerm(s, leader, index) === L.term(s, leader),
  learnTermCheck: (L, s, i, j) => L.lastTerm(s, i) === L.cpTerm(s, j)
}

const ij = (args: readonly number[]) => ({ i: args[0], j: args[1] })

export function raftMongoActions(L: RaftLayout, rules: Rules): ActionFamily[] {
  const n = L.n
  const all = L.allServers
  /** Server positions for an argument: the one named (1-based id), or every server. */
  const servers = (id: unknown) => (typeof id === "number" ? [id - 1] : Array.from({ length: n }, (_, k) => k))
  /** The first server's reason, or null if some server has none (diagnostics only). */
  const firstReason = (ids: number[], why: (i: number) => string | null) => {
    const reasons = ids.map(why)
    return reasons.some((r) => r === null) ? null : (reasons[0] ?? null)
  }
  const leaderOnly = (s: Uint8Array, args: Readonly<Record<string, unknown>>) =>
    firstReason(servers(args["i"]), (i) => (L.isLeader(s, i) ? null : `server ${i + 1} is not a leader`))
  return [
    {
      name: "AppendOplog",
      params: ["i", "j", "lastAppended"],
      expand(s: Uint8Array, out: Successors) {
        for (let i = 0; i < n; i++) {
          if (L.isLeader(s, i) || !rules.mayChangeLog(L, s, i)) continue
          const li = L.len(s, i)
          for (let j = 0; j < n; j++) {
            if (!L.canSyncFrom(s, i, j)) continue
            const lj = L.len(s, j)
            for (let last = li + 1; last <= lj; last++) {
              const t = out.next()
              for (let k = li + 1; k <= last; k++) L.append(t, i, L.logTerm(s, j, k))
              out.emit(i + 1, j + 1, last)
            }
          }
        }
      },
      describe: (a) => ({ ...ij(a), lastAppended: a[2] }),
      explain: (s, args) =>
        firstReason(servers(args["i"]), (i) => {
          if (L.isLeader(s, i)) return `server ${i + 1} is a leader`
          if (!rules.mayChangeLog(L, s, i)) return `server ${i + 1} may not change its log now`
          return firstReason(servers(args["j"]), (j) => (L.canSyncFrom(s, i, j) ? null : `server ${i + 1} cannot sync from server ${j + 1} (its log does not extend server ${i + 1}'s)`))
        })
    },
    {
      name: "RollbackOplog",
      params: ["i", "j"],
      expand(s, out) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            if (!L.canRollbackOplog(s, i, j)) continue
            L.dropLast(out.next(), i)
            out.emit(i + 1, j + 1)
          }
        }
      },
      describe: ij,
      explain: (s, args) =>
        firstReason(servers(args["i"]), (i) =>
          firstReason(servers(args["j"]), (j) => (L.canRollbackOplog(s, i, j) ? null : `server ${i + 1}'s log has not diverged from server ${j + 1}'s`))
        )
    },
    {
      name: "BecomePrimaryByMagic",
      params: ["i", "ayeVoters"],
      expand(s, out) {
        for (let i = 0; i < n; i++) {
          if (!rules.mayChangeLog(L, s, i)) continue
          const ti = L.term(s, i)
          let eligible = 0
          for (let j = 0; j < n; j++) if (rules.voterAccepts(L, s, i, j)) eligible |= 1 << j
          for (let voters = 0; voters <= all; voters++) {
            if ((voters & ~eligible) !== 0 || !rules.electionQuorum(L, voters)) continue
            const t = out.next()
            for (let k = 0; k < n; k++) {
              const bit = 1 << k
              if (voters & bit) L.setRole(t, k, k === i ? LEADER : FOLLOWER)
              if (voters & bit || k === i) L.setTerm(t, k, ti + 1)
            }
            out.emit(i + 1, voters)
          }
        }
      },
      describe: (a) => ({ i: a[0], ayeVoters: idsOf(a[1]!) }),
      explain: (s, args) =>
        firstReason(servers(args["i"]), (i) => {
          if (!rules.mayChangeLog(L, s, i)) return `server ${i + 1} may not campaign now`
          let eligible = 0
          for (let j = 0; j < n; j++) if (rules.voterAccepts(L, s, i, j)) eligible |= 1 << j
          const voters = args["ayeVoters"]
          if (Array.isArray(voters)) {
            const mask = voters.reduce((m: number, id: unknown) => (typeof id === "number" ? m | (1 << (id - 1)) : m), 0)
            const refusing = voters.find((id) => typeof id === "number" && (eligible & (1 << (id - 1))) === 0)
            if (refusing !== undefined) return `server ${refusing} does not vote for server ${i + 1} (its log is ahead or its term is higher)`
            return rules.electionQuorum(L, mask) ? null : `servers ${JSON.stringify(voters)} are not a quorum`
          }
          for (let voters = 0; voters <= all; voters++) if ((voters & ~eligible) === 0 && rules.electionQuorum(L, voters)) return null
          return `no quorum would vote for server ${i + 1} (logs ahead or terms higher)`
        })
    },
    {
      name: "Stepdown",
      params: ["i"],
      expand(s, out) {
        for (let i = 0; i < n; i++) {
          if (!L.isLeader(s, i)) continue
          L.setRole(out.next(), i, FOLLOWER)
          out.emit(i + 1)
        }
      },
      describe: (a) => ({ i: a[0] }),
      explain: leaderOnly
    },
    {
      name: "ClientWrite",
      params: ["i", "numEntries"],
      expand(s, out) {
        for (let i = 0; i < n; i++) {
          if (!L.isLeader(s, i)) continue
          const term = L.term(s, i)
          for (let k = 1; k <= L.config.maxClientWriteSize; k++) {
            const t = out.next()
            for (let e = 0; e < k; e++) L.append(t, i, term)
            out.emit(i + 1, k)
          }
        }
      },
      describe: (a) => ({ i: a[0], numEntries: a[1] }),
      explain: leaderOnly
    },
    {
      name: "UpdateTermThroughHeartbeat",
      params: ["i", "j"],
      expand(s, out) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            if (L.term(s, j) <= L.term(s, i)) continue
            const t = out.next()
            L.setTerm(t, i, L.term(s, j))
            L.setRole(t, i, FOLLOWER)
            out.emit(i + 1, j + 1)
          }
        }
      },
      describe: ij,
      explain: (s, args) =>
        firstReason(servers(args["i"]), (i) =>
          firstReason(servers(args["j"]), (j) => (L.term(s, j) > L.term(s, i) ? null : `server ${j + 1}'s term ${L.term(s, j)} is not higher than server ${i + 1}'s ${L.term(s, i)}`))
        )
    },
    {
      name: "AdvanceCommitPoint",
      params: ["leader", "acknowledgers", "committedIndex"],
      expand(s, out) {
        for (let leader = 0; leader < n; leader++) {
          if (!L.isLeader(s, leader)) continue
          const term = L.term(s, leader)
          let lowTerm = 0
          for (let j = 0; j < n; j++) if (L.term(s, j) <= term) lowTerm |= 1 << j
          const from = L.cpIndex(s, leader)
          for (let index = from + 1; index <= L.len(s, leader); index++) {
            if (!rules.commitEligible(L, s, leader, index)) continue
            const allowed = L.agree(s, leader, index) & lowTerm
            for (let acks = 0; acks <= all; acks++) {
              if ((acks & ~allowed) !== 0 || !L.isMajority(acks)) continue
              const t = out.next()
              L.setCommitPoint(t, leader, L.logTerm(s, leader, index), index)
              for (let k = from + 1; k <= index; k++) L.addCommitted(t, L.logTerm(s, leader, k), k)
              out.emit(leader + 1, acks, index)
            }
          }
        }
      },
      describe: (a) => ({ leader: a[0], acknowledgers: idsOf(a[1]!), committedIndex: a[2] }),
      explain: (s, args) =>
        firstReason(servers(args["leader"]), (leader) => {
          if (!L.isLeader(s, leader)) return `server ${leader + 1} is not a leader`
          const wanted = args["committedIndex"]
          let lowTerm = 0
          for (let j = 0; j < n; j++) if (L.term(s, j) <= L.term(s, leader)) lowTerm |= 1 << j
          let reason = `server ${leader + 1} has no entry above its commit point ${L.cpIndex(s, leader)}`
          for (let index = L.cpIndex(s, leader) + 1; index <= L.len(s, leader); index++) {
            if (typeof wanted === "number" && index !== wanted) continue
            if (!rules.commitEligible(L, s, leader, index)) {
              reason = `entry ${index} is not of server ${leader + 1}'s term ${L.term(s, leader)}`
              continue
            }
            if (L.isMajority(L.agree(s, leader, index) & lowTerm)) return null
            reason = `no majority holds entry ${index} of server ${leader + 1}'s log`
          }
          return reason
        })
    },
    {
      name: "LearnCommitPointWithTermCheck",
      params: ["i", "j"],
      expand(s, out) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            if (!rules.learnTermCheck(L, s, i, j) || !L.commitPointLessThan(s, i, j)) continue
            L.setCommitPoint(out.next(), i, L.cpTerm(s, j), L.cpIndex(s, j))
            out.emit(i + 1, j + 1)
          }
        }
      },
      describe: ij,
      explain: (s, args) =>
        firstReason(servers(args["i"]), (i) =>
          firstReason(servers(args["j"]), (j) => {
            if (!rules.learnTermCheck(L, s, i, j)) return `server ${i + 1}'s last term ${L.lastTerm(s, i)} is not server ${j + 1}'s commit point term ${L.cpTerm(s, j)}`
            return L.commitPointLessThan(s, i, j) ? null : `server ${j + 1}'s commit point is not ahead of server ${i + 1}'s`
          })
        )
    },
    {
      name: "LearnCommitPointFromSyncSourceNeverBeyondLastApplied",
      params: ["i", "j"],
      expand(s, out) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            if (!(L.canSyncFrom(s, i, j) || L.logsEqual(s, i, j)) || !L.commitPointLessThan(s, i, j)) continue
            const capped = L.cpTerm(s, j) > L.lastTerm(s, i)
            const term = capped ? L.lastTerm(s, i) : L.cpTerm(s, j)
            const index = capped ? L.len(s, i) : L.cpIndex(s, j)
            if (rules.learnOnlyHigher && (term < L.cpTerm(s, i) || (term === L.cpTerm(s, i) && index <= L.cpIndex(s, i)))) continue
            L.setCommitPoint(out.next(), i, term, index)
            out.emit(i + 1, j + 1)
          }
        }
      },
      describe: ij,
      explain: (s, args) =>
        firstReason(servers(args["i"]), (i) =>
          firstReason(servers(args["j"]), (j) => {
            if (!(L.canSyncFrom(s, i, j) || L.logsEqual(s, i, j))) return `server ${j + 1} is not a sync source of server ${i + 1}`
            if (!L.commitPointLessThan(s, i, j)) return `server ${j + 1}'s commit point is not ahead of server ${i + 1}'s`
            const capped = L.cpTerm(s, j) > L.lastTerm(s, i)
            const term = capped ? L.lastTerm(s, i) : L.cpTerm(s, j)
            const index = capped ? L.len(s, i) : L.cpIndex(s, j)
            const higher = term > L.cpTerm(s, i) || (term === L.cpTerm(s, i) && index > L.cpIndex(s, i))
            return !rules.learnOnlyHigher || higher ? null : `the commit point server ${i + 1} would learn from server ${j + 1} is not higher than its own`
          })
        )
    }
  ]
}
