"""A small Python implementation of the rollback protocol (spec/adr/0001-deposed-primary-rollback.md):
replication as in RaftMongo, each server with its own view of the leader and its own key versions,
and the rollback coordinator, with the side effects held in memory.

It is an example for `replcheck conform`, not a production component: it applies the steps the
model chooses and keeps the state the adapter reports. `buggy=True` plants a bug in the plan: the
common point is taken as the shorter log's length, as if the shorter log were always a prefix.

In implementation-driven runs (`propose`) it also chooses steps itself: a leader writes or steps
down, and a server campaigns, elected by the servers that grant it their vote. A server grants
its vote to a candidate whose term is not below its own and whose log is not behind its own (the
last entry's term, then the length). `buggy_votes=True` plants a bug there: votes are granted
whatever the logs, so a server with a stale log can be elected. Model-driven runs never meet it,
since there replcheck chooses the voters.
"""

IDLE = {"phase": "Idle", "commonPoint": 0, "watermark": 0, "rejoinTerm": 0}


class RollbackCluster:
    def __init__(self, servers, max_term=3, max_log_len=2, buggy=False, buggy_votes=False):
        self.n = servers
        self.max_term = max_term
        self.max_log_len = max_log_len
        self.buggy = buggy
        self.buggy_votes = buggy_votes
        self.reset()

    def reset(self):
        n = self.n
        self.term = [0] * n
        self.role = ["Follower"] * n
        self.commit_point = [{"term": 0, "index": 0} for _ in range(n)]
        self.log = [[] for _ in range(n)]
        self.committed = set()
        self.view = [0] * n
        self.keys = [[] for _ in range(n)]
        self.rollback = [self._idle(i) for i in range(n)]
        self.files = [set() for _ in range(n)]
        self.pending = [set() for _ in range(n)]
        self.events = [set() for _ in range(n)]
        self.removed = [set() for _ in range(n)]

    def _idle(self, i):
        return dict(IDLE, source=i + 1)

    def _last_term(self, i):
        return self.log[i][-1] if self.log[i] else 0

    def _apply(self, i):
        # The store applies what the log holds beyond its last key version.
        self.keys[i] = self.keys[i] + self.log[i][len(self.keys[i]):]

    # Replication and commit points.

    def AppendOplog(self, i, j, lastAppended):
        self.log[i] = self.log[i] + self.log[j][len(self.log[i]):lastAppended]
        self._apply(i)

    def BecomePrimaryByMagic(self, i, ayeVoters):
        new_term = self.term[i] + 1
        for v in ayeVoters:
            self.role[v] = "Leader" if v == i else "Follower"
        for v in set(ayeVoters) | {i}:
            self.term[v] = new_term
            self.view[v] = v + 1 if self.role[v] == "Leader" else 0

    def Stepdown(self, i):
        self.role[i] = "Follower"
        self.view[i] = 0

    def ClientWrite(self, i, numEntries):
        self.log[i] = self.log[i] + [self.term[i]] * numEntries
        self._apply(i)

    def UpdateTermThroughHeartbeat(self, i, j):
        self.term[i] = self.term[j]
        self.role[i] = "Follower"
        self.view[i] = 0

    def LearnLeaderThroughHeartbeat(self, i, j):
        self.term[i] = self.term[j]
        self.role[i] = "Follower"
        self.view[i] = j + 1

    def AdvanceCommitPoint(self, leader, acknowledgers, committedIndex):
        start = self.commit_point[leader]["index"]
        for k in range(start + 1, committedIndex + 1):
            self.committed.add((self.log[leader][k - 1], k))
        self.commit_point[leader] = {"term": self.log[leader][committedIndex - 1], "index": committedIndex}

    def LearnCommitPointWithTermCheck(self, i, j):
        self.commit_point[i] = dict(self.commit_point[j])

    def LearnCommitPointFromSyncSourceNeverBeyondLastApplied(self, i, j):
        cp = self.commit_point[j]
        if cp["term"] <= self._last_term(i):
            self.commit_point[i] = dict(cp)
        else:
            self.commit_point[i] = {"term": self._last_term(i), "index": len(self.log[i])}

    # The rollback coordinator.

    def _common_point(self, i, j):
        if self.buggy:
            return min(len(self.log[i]), len(self.log[j]))
        for k in range(min(len(self.log[i]), len(self.log[j])), 0, -1):
            if self.log[i][k - 1] == self.log[j][k - 1]:
                return k
        return 0

    def RollbackPlan(self, i, j):
        self.rollback[i] = {
            "phase": "Planned",
            "source": j + 1,
            "commonPoint": self._common_point(i, j),
            "watermark": self.commit_point[i]["index"],
            "rejoinTerm": self.term[i],
        }

    def _tail(self, i):
        common = self.rollback[i]["commonPoint"]
        return {(self.log[i][k - 1], k) for k in range(common + 1, len(self.log[i]) + 1)}

    def RollbackPersist(self, i):
        self.files[i] |= self._tail(i)
        self.pending[i] |= self._tail(i)
        self.rollback[i]["phase"] = "Persisted"

    def RollbackPersistFails(self, i):
        self.rollback[i] = self._idle(i)

    def RollbackRecover(self, i):
        self.keys[i] = self.keys[i][: self.rollback[i]["commonPoint"]]
        self.rollback[i]["phase"] = "KeysRestored"

    def RollbackTruncate(self, i):
        self.removed[i] |= self._tail(i)
        self.log[i] = self.log[i][: self.rollback[i]["commonPoint"]]
        self.rollback[i]["phase"] = "Recovered"

    def RollbackAbort(self, i):
        self._apply(i)
        self.pending[i] = set()
        self.rollback[i] = self._idle(i)

    def RollbackEmitEvent(self, i):
        self.events[i] |= self.pending[i]
        self.pending[i] = set()
        self.rollback[i]["phase"] = "Emitted"

    def RollbackRejoin(self, i):
        self.rollback[i] = self._idle(i)

    def Crash(self, i):
        self.rollback[i] = self._idle(i)
        self._apply(i)

    def RollbackResume(self, i):
        held = {(t, k) for k, t in enumerate(self.log[i], start=1)}
        self.events[i] |= self.pending[i] - held
        self.pending[i] = set()

    # Steps it chooses itself (implementation-driven runs).

    def _not_behind(self, candidate, voter):
        a, b = self._last_term(candidate), self._last_term(voter)
        return a > b or (a == b and len(self.log[candidate]) >= len(self.log[voter]))

    def _grants_vote(self, voter, candidate):
        if self.term[voter] > self.term[candidate]:
            return False
        return self.buggy_votes or self._not_behind(candidate, voter)

    def propose(self, rng):
        """Takes one step of its own choosing (within the check bounds) and says which, or None."""
        options = []
        for i in range(self.n):
            if self.role[i] == "Leader":
                if len(self.log[i]) < self.max_log_len:
                    options.append(("ClientWrite", i, {"numEntries": 1}))
                options.append(("Stepdown", i, {}))
            if self.term[i] < self.max_term and self.rollback[i]["phase"] == "Idle":
                voters = [v for v in range(self.n) if self._grants_vote(v, i)]
                if 2 * len(voters) > self.n:
                    options.append(("BecomePrimaryByMagic", i, {"ayeVoters": voters}))
        if not options:
            return None
        action, node, args = options[rng.randrange(len(options))]
        getattr(self, action)(node, **args)
        return action, node, args

    def observe(self):
        entries = lambda s: [{"term": t, "index": k} for (t, k) in sorted(s)]
        return {
            "committedEntries": entries(self.committed),
            "currentTerm": list(self.term),
            "state": list(self.role),
            "commitPoint": [dict(cp) for cp in self.commit_point],
            "log": [[{"term": t} for t in lg] for lg in self.log],
            "leaderView": list(self.view),
            "keyVersions": [[{"term": t} for t in kv] for kv in self.keys],
            "rollback": [dict(r) for r in self.rollback],
            "rollbackFiles": [entries(f) for f in self.files],
            "pendingEvent": [entries(p) for p in self.pending],
            "events": [entries(e) for e in self.events],
            "removed": [entries(r) for r in self.removed],
        }
