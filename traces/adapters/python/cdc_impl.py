"""A small Python implementation of the cdc protocol (model/protocols/cdc, spec/adr/0004): one
Couchbase-like vBucket (an active copy and replicas fed by DCP) and one change-stream consumer in
go-dcp's shape, with the base design's rules.

It is an example for `replcheck conform`, not a production component: it applies the steps the
model chooses and keeps the state a real implementation would keep.

The vBucket (`VBucket`, of `Copy`s numbered from 0):

- each copy stores mutations by seqno (sparse: nothing where it never wrote or received one, or
  where a snapshot it received deduplicated one away), knows its high and persisted seqnos, the
  snapshot it is receiving, the one its last flush recorded, the seqnos where its storage is a
  consistent point, its failover log (newest first: (vbuuid, seqno) entries; vbuuids are random
  64-bit numbers) and its role;
- the active takes writes (each a snapshot of its own); a replica on another branch than the
  active's hands the active a stream request (rolls back if told, takes its failover log), then
  receives snapshots of deduplicated mutations; a crash loses what was not flushed; a promotion
  and an unclean restart of the active each start a branch.
- a producer answers a stream request with kv_engine's rule (`needs_rollback`): from its own
  failover log and high seqno and the request only.

The consumer (`Consumer`) sees the vBucket only as a DCP client does: stream requests to the
active (`VBucket.stream_request`), the stream's markers and messages (`DcpStream`), observe-seqno
on each copy, the cluster map and the active's failover log. Its `Store` (the durable checkpoint
and the sink: the mutation applied at each seqno) survives a consumer restart; everything else it
holds is memory. Base rules: told to roll back to X, the sink and the checkpoint go back together
to the end of the last snapshot it applied whole if that is at or below X (else to 0); a restart
truncates the sink to the checkpoint; a new stream drops what an old one sent and was not
applied; the rollback mitigation delivers only seqnos every copy has persisted, on the branch they
agree on, learns nothing while a copy is down, and keeps its view per branch.

`buggy=True` plants the consumer bug of the model variant catch-up-after-rollback (go-dcp's
catch-up): on a rollback the consumer leaves its sink and checkpoint as they are, re-opens the
stream at the rollback seqno and drops every re-sent event up to its old position; its sink is
never truncated (not on a restart either).

`Cluster` is what the adapter drives: one capitalised method per model action (copies 0-based),
`reset()` and `observe()`, which writes the state in the model's readable form (vbuuids as branch
numbers 1, 2, ... in the order branches were created, keys "kN" as N, storage and sink as arrays
of maxSeqno mutations with key 0 for none, consistent points as a bitmask).
"""
import random
from collections import namedtuple

RESUME = None  # the producer's answer "resume"; otherwise the seqno to roll back to


class Refused(Exception):
    """A step the implementation refuses (the adapter replies with an error)."""


Mutation = namedtuple("Mutation", "seqno key value vbuuid")
# A resume point: the consumer's acknowledged offset, its durable checkpoint, and a stream request.
Position = namedtuple("Position", "vbuuid seqno snap_start snap_end")
NOWHERE = Position(0, 0, 0, 0)
# What the consumer holds between receiving a mutation and applying it: the branch and snapshot it came in.
Received = namedtuple("Received", "mutation vbuuid snap_start snap_end")


def needs_rollback(log, high, request):
    """kv_engine's FailoverTable::needsRollback, for a producer with failover log `log` (newest first) and high seqno `high`."""
    if request.seqno == 0:
        return RESUME
    upper = branch_end(log, high, request.vbuuid)
    if upper is None:
        return 0
    snap_start, snap_end = request.snap_start, request.snap_end
    if request.seqno == snap_start:  # none of the snapshot received: as good as its previous end
        snap_end = request.seqno
    if snap_end <= upper:
        return RESUME
    if request.seqno == snap_end:  # the whole snapshot received
        snap_start = request.seqno
    return min(upper, snap_start)


def branch_end(log, high, vbuuid):
    """Where branch `vbuuid` ended in `log`: the next newer entry's start, or `high` for the current branch (None: not in the log)."""
    newer = None
    for uuid, start in log:
        if uuid == vbuuid:
            return high if newer is None else newer
        newer = start
    return None


def vbuuid_at_or_below(log, seqno):
    """The branch a history on `log` was on at `seqno` (0: none)."""
    return next((uuid for uuid, start in log if start <= seqno), 0)


class Copy:
    def __init__(self, role, vbuuid):
        self.role = role
        self.storage = {}  # seqno -> Mutation
        self.high = 0
        self.persisted = 0
        self.snapshot = (0, 0)
        self.persisted_snapshot = (0, 0)
        self.ends = set()  # seqnos where the storage is a consistent point (0 always is)
        self.failover_log = [(vbuuid, 0)]
        self.failed_over = False

    @property
    def vbuuid(self):
        return self.failover_log[0][0]

    @property
    def up(self):
        return self.role != "Down"

    def consistent_point(self, seqno):
        """The newest consistent point at or below `seqno`."""
        return max((e for e in self.ends if e <= seqno), default=0)

    def is_end(self, seqno):
        return seqno == 0 or seqno in self.ends

    def truncate(self, to):
        for seqno in [k for k in self.storage if k > to]:
            del self.storage[seqno]
        self.ends = {e for e in self.ends if e <= to}
        self.high = to

    def snapshot_next(self, start, end, after):
        """
        The seqno a snapshot [start, end] of this storage sends after `after`: the next mutation
        that is its key's last in the range (deduplication), or `end` when none is left.
        """
        last_of_key = {}
        for seqno in sorted(k for k in self.storage if k <= end):
            last_of_key[self.storage[seqno].key] = seqno
        return min((s for s in last_of_key.values() if s > after and s >= start), default=end)


class DcpStream:
    """A producer's stream to the consumer: its source copy, branch, position and the snapshot it is in."""

    def __init__(self, vbucket, source, vbuuid, request):
        self.vbucket = vbucket
        self.source = source
        self.vbuuid = vbuuid
        self.position = request.seqno
        # The first marker may resume the snapshot the request was in.
        self.snap_start, self.snap_end = request.snap_start, request.seqno
        self.first = True
        self.open = True

    def _copy(self):
        return self.vbucket.copies[self.source]

    def marker_ends(self):
        """The consistent points of the source a marker may end at now (none inside a snapshot)."""
        if not self.open or self.position != self.snap_end:
            return []
        copy = self._copy()
        return [e for e in range(self.position + 1, copy.high + 1) if copy.is_end(e)]

    def marker(self, end):
        if end not in self.marker_ends():
            raise Refused("the stream's source holds no snapshot after %d ending at %d" % (self.position, end))
        start = self.position + 1
        if self.first and self.snap_start < start:
            start = self.snap_start
        self.snap_start, self.snap_end, self.first = start, end, False
        return start, end

    def peek(self):
        """The seqno the stream sends next (None: it has sent its whole snapshot)."""
        if not self.open or self.position >= self.snap_end:
            return None
        return self._copy().snapshot_next(self.snap_start, self.snap_end, self.position)

    def next(self):
        """The next message: a Mutation, or the seqno it advanced to (the snapshot's end deduplicated away)."""
        seqno = self.peek()
        if seqno is None:
            raise Refused("the stream has nothing to send")
        self.position = seqno
        return self._copy().storage.get(seqno, seqno)


class VBucket:
    def __init__(self, copies, log_capacity):
        self.rng = random.Random()
        self.branch_order = []  # vbuuids in the order branches were created
        self.log_capacity = log_capacity
        first = self._new_vbuuid()
        self.copies = [Copy("Active" if c == 0 else "Replica", first) for c in range(copies)]
        self.active = 0
        self.streams = []
        self.writes = 0

    def _new_vbuuid(self):
        while True:
            v = self.rng.getrandbits(64)
            if v and v not in self.branch_order:
                self.branch_order.append(v)
                return v

    @property
    def branches(self):
        return len(self.branch_order)

    def active_copy(self):
        """The cluster map's active copy if it is up (None if it is down)."""
        copy = self.copies[self.active]
        return copy if copy.role == "Active" else None

    def replica_streaming(self, r):
        """Replica r is up and on the active's branch: its DCP stream from the active is established."""
        active = self.active_copy()
        return self.copies[r].role == "Replica" and active is not None and self.copies[r].vbuuid == active.vbuuid

    # Writes, replication, persistence.

    def write(self, key):
        copy = self.active_copy()
        self.writes += 1
        seqno = copy.high + 1
        copy.storage[seqno] = Mutation(seqno, key, "%s@%d" % (key, self.writes), copy.vbuuid)
        copy.high = seqno
        copy.snapshot = (seqno, seqno)
        copy.ends.add(seqno)

    def replica_handshake(self, r):
        replica, active = self.copies[r], self.active_copy()
        request = Position(replica.vbuuid, replica.high, *replica.snapshot)
        answer = needs_rollback(active.failover_log, active.high, request)
        if answer is not RESUME:
            to = replica.consistent_point(min(answer, replica.high))
        elif replica.high < replica.snapshot[1]:
            # Resumed inside a snapshot of its old producer: drop that snapshot's items and take it again.
            to = replica.snapshot[0] - 1
        else:
            to = None
        if to is not None:
            replica.truncate(to)
            replica.persisted = min(replica.persisted, to)
            replica.snapshot = (to, to)
            if replica.persisted_snapshot[1] > to:
                replica.persisted_snapshot = (to, to)
        replica.failover_log = list(active.failover_log)

    def replica_marker_ends(self, r):
        replica, active = self.copies[r], self.active_copy()
        if not self.replica_streaming(r) or replica.high != replica.snapshot[1]:
            return []
        return [e for e in range(replica.high + 1, active.high + 1) if active.is_end(e)]

    def replica_receive(self, r):
        replica, active = self.copies[r], self.active_copy()
        start, end = replica.snapshot
        seqno = active.snapshot_next(start, end, replica.high)
        if seqno in active.storage:
            replica.storage[seqno] = active.storage[seqno]
        replica.high = seqno
        if seqno == end:
            replica.ends.add(seqno)

    def persist(self, c):
        copy = self.copies[c]
        # The flush records the snapshot its last item belongs to (a marker with no item yet: the previous snapshot, whole).
        copy.persisted_snapshot = (copy.high, copy.high) if copy.snapshot[0] > copy.high else copy.snapshot
        copy.persisted = copy.high

    # Faults and branches.

    def crash(self, c):
        copy = self.copies[c]
        copy.role = "Down"
        copy.truncate(copy.persisted)
        copy.snapshot = copy.persisted_snapshot
        for stream in self.streams:
            if stream.source == c:
                stream.open = False
        self.streams = [s for s in self.streams if s.open]

    def restart(self, c):
        copy = self.copies[c]
        copy.failed_over = False
        if c != self.active:
            copy.role = "Replica"
        else:
            copy.role = "Active"  # back from an unclean shutdown: a new branch
            self._new_branch(copy)

    def failover(self, n):
        self.copies[self.active].failed_over = True
        self.active = n
        self.copies[n].role = "Active"
        self._new_branch(self.copies[n])

    def _new_branch(self, copy):
        """A new failover-log entry at the last consistent point the copy persisted; its high seqno becomes a snapshot end."""
        end = copy.persisted_snapshot[1]
        at = end if copy.persisted == end else copy.consistent_point(copy.persisted)
        kept = [entry for entry in copy.failover_log if entry[1] <= at]
        copy.failover_log = [(self._new_vbuuid(), at)] + kept[: self.log_capacity - 1]
        copy.snapshot = (copy.high, copy.high)
        if copy.high > 0:
            copy.ends.add(copy.high)

    # What a DCP client sees.

    def stream_request(self, request):
        """The active's answer: ("ok", stream) or ("rollback", seqno)."""
        copy = self.active_copy()
        if copy is None:
            raise Refused("the active copy %d is down" % (self.active + 1))
        answer = needs_rollback(copy.failover_log, copy.high, request)
        if answer is not RESUME:
            return "rollback", answer
        stream = DcpStream(self, self.active, copy.vbuuid, request)
        self.streams.append(stream)
        return "ok", stream

    def failover_log(self):
        copy = self.active_copy()
        return list(copy.failover_log) if copy is not None else []

    def cluster_map(self):
        """Every copy, and whether the map holds it (a copy failed over is absent until it restarts)."""
        return [(c, not copy.failed_over) for c, copy in enumerate(self.copies)]

    def close(self, stream):
        stream.open = False
        self.streams = [s for s in self.streams if s is not stream]

    def observe_seqno(self, c):
        """observe-seqno: the copy's current vbuuid and persisted seqno (None: the copy is down)."""
        copy = self.copies[c]
        return (copy.vbuuid, copy.persisted) if copy.up else None


class Store:
    """The consumer's durable store: its checkpoint and its sink (one store: a rollback moves both in one write)."""

    def __init__(self):
        self.checkpoint = NOWHERE
        self.sink = {}  # seqno -> Mutation

    def truncate(self, to, checkpoint=None):
        self.sink = {k: m for k, m in self.sink.items() if k <= to}
        if checkpoint is not None:
            self.checkpoint = checkpoint


class Consumer:
    """A go-dcp-shaped consumer: everything but its store is memory, lost on a restart."""

    def __init__(self, vbucket, store, catch_up):
        self.vbucket = vbucket
        self.store = store
        self.catch_up = catch_up  # go-dcp's catch-up on rollback (the planted bug) instead of rolling the sink back
        self._stream = None
        self.received = None
        self.offset = store.checkpoint
        self.consistent = 0  # the end of the last snapshot received and applied whole
        self.catchup = 0  # catch-up: events at or below it are dropped
        self.persist_view = 0
        self.persist_view_vbuuid = 0
        if not catch_up:
            store.truncate(store.checkpoint.seqno)

    @property
    def stream(self):
        if self._stream is not None and not self._stream.open:
            self._stream = None
        return self._stream

    def may_deliver(self, stream, seqno):
        return seqno <= self.persist_view and self.persist_view_vbuuid == stream.vbuuid

    def _ack(self, vbuuid, seqno, snap_start, snap_end):
        if seqno > self.offset.seqno:  # the offset never moves back
            self.offset = Position(vbuuid, seqno, snap_start, snap_end)

    def open(self):
        if self.stream is not None:
            raise Refused("the stream is open")
        request = self.offset
        kind, answer = self.vbucket.stream_request(request)
        self.received = None  # what an earlier stream sent and was not applied is dropped
        if kind == "ok":
            self._stream = answer
            return
        if self.catch_up:
            to = answer
            self.catchup = request.seqno
        else:
            to = self.consistent if self.consistent <= answer else 0
        self.offset = Position(vbuuid_at_or_below(self.vbucket.failover_log(), to), to, to, to)
        if not self.catch_up:
            self.store.truncate(to, self.offset)
            self.consistent = to

    def marker(self, end):
        stream = self._open_stream()
        if stream.position != stream.snap_end:
            raise Refused("the stream is inside a snapshot")
        if not self.may_deliver(stream, stream.position + 1):
            raise Refused("the mitigation holds the marker back (seqno %d, view %d)" % (stream.position + 1, self.persist_view))
        stream.marker(end)

    def receive(self):
        stream = self._open_stream()
        if self.received is not None:
            raise Refused("a mutation is still to be applied")
        seqno = stream.peek()
        if seqno is None:
            raise Refused("the stream has sent its whole snapshot")
        if not self.may_deliver(stream, seqno):
            raise Refused("the mitigation holds seqno %d back (view %d)" % (seqno, self.persist_view))
        message = stream.next()
        if not isinstance(message, Mutation) or seqno <= self.catchup:
            if seqno == stream.snap_end:
                self.consistent = seqno
            return
        self.received = Received(message, stream.vbuuid, stream.snap_start, stream.snap_end)

    def apply(self):
        r = self.received
        if r is None:
            raise Refused("nothing received to apply")
        seqno = r.mutation.seqno
        self.store.sink[seqno] = r.mutation
        self.received = None
        if seqno == r.snap_end:
            self.consistent = seqno
        self._ack(r.vbuuid, seqno, r.snap_start, r.snap_end)

    def save_checkpoint(self):
        if self.store.checkpoint == self.offset:
            raise Refused("the checkpoint is the acknowledged offset")
        self.store.checkpoint = self.offset

    def observation(self):
        """What observe-seqno on every copy in the map tells the mitigation: (safe seqno, vbuuid), or None for no news."""
        safe, vbuuid = None, None
        for c, _in_map in self.vbucket.cluster_map():  # every copy counts, in the map or not
            seen = self.vbucket.observe_seqno(c)
            if seen is None or (vbuuid is not None and seen[0] != vbuuid):
                return None
            vbuuid = seen[0]
            safe = seen[1] if safe is None else min(safe, seen[1])
        if vbuuid is None or (vbuuid == self.persist_view_vbuuid and safe <= self.persist_view):
            return None
        return safe, vbuuid

    def observe(self):
        seen = self.observation()
        if seen is None:
            raise Refused("no news: a copy is down, the copies disagree on the branch, or none moves the view on")
        safe, vbuuid = seen
        self.persist_view = max(safe, self.persist_view) if vbuuid == self.persist_view_vbuuid else safe
        self.persist_view_vbuuid = vbuuid

    def connection_lost(self):
        if self.stream is None:
            raise Refused("the stream is closed")
        self.vbucket.close(self._stream)
        self._stream = None

    def _open_stream(self):
        if self.stream is None:
            raise Refused("the stream is closed")
        return self._stream


class Cluster:
    def __init__(self, replicas, max_seqno, keys, max_failovers, buggy=False):
        self.n = replicas + 1
        self.max_seqno = max_seqno
        self.keys = keys
        self.max_branches = max_failovers + 1
        self.buggy = buggy
        self.reset()

    def reset(self):
        self.vbucket = VBucket(self.n, log_capacity=self.max_branches)
        self.store = Store()
        self.consumer = Consumer(self.vbucket, self.store, catch_up=self.buggy)

    def _copy(self, c, *roles):
        copy = self.vbucket.copies[c]
        if copy.role not in roles:
            raise Refused("copy %d is %s" % (c + 1, copy.role))
        return copy

    def _branch_left(self):
        if self.vbucket.branches >= self.max_branches:
            raise Refused("the model's branches are used up (%d)" % self.max_branches)

    # The vBucket.

    def Write(self, key):
        active = self.vbucket.active_copy()
        if active is None:
            raise Refused("the active copy is down")
        if active.high >= self.max_seqno:
            raise Refused("the active's history is at the highest seqno (%d)" % self.max_seqno)
        if not 1 <= key <= self.keys:
            raise Refused("no key %d" % key)
        self.vbucket.write("k%d" % key)

    def ReplicaHandshake(self, r):
        replica = self._copy(r, "Replica")
        active = self.vbucket.active_copy()
        if active is None or replica.vbuuid == active.vbuuid:
            raise Refused("copy %d has no other branch than an up active's" % (r + 1))
        self.vbucket.replica_handshake(r)

    def ReplicaMarker(self, r, end):
        if end not in self.vbucket.replica_marker_ends(r):
            raise Refused("copy %d cannot take a snapshot ending at %d" % (r + 1, end))
        self.vbucket.copies[r].snapshot = (self.vbucket.copies[r].high + 1, end)

    def ReplicaReceive(self, r):
        replica = self.vbucket.copies[r]
        if not self.vbucket.replica_streaming(r) or replica.high >= replica.snapshot[1]:
            raise Refused("copy %d is not a replica streaming inside a snapshot" % (r + 1))
        self.vbucket.replica_receive(r)

    def Persist(self, c):
        copy = self._copy(c, "Active", "Replica")
        if copy.persisted >= copy.high:
            raise Refused("copy %d has persisted its whole history" % (c + 1))
        self.vbucket.persist(c)

    def Crash(self, c):
        self._copy(c, "Active", "Replica")
        self.vbucket.crash(c)

    def Restart(self, c):
        self._copy(c, "Down")
        if c == self.vbucket.active:
            self._branch_left()
        self.vbucket.restart(c)

    def Failover(self, n):
        if self.vbucket.active_copy() is not None:
            raise Refused("the active copy is up")
        self._copy(n, "Replica")
        self._branch_left()
        self.vbucket.failover(n)

    # The consumer.

    def OpenStream(self):
        self.consumer.open()

    def SnapshotMarker(self, end):
        self.consumer.marker(end)

    def Receive(self):
        self.consumer.receive()

    def Apply(self):
        self.consumer.apply()

    def SaveCheckpoint(self):
        self.consumer.save_checkpoint()

    def Observe(self):
        self.consumer.observe()

    def ConnectionLost(self):
        self.consumer.connection_lost()

    def ConsumerRestart(self):
        # The process dies: its connection closes with it, and a new one starts from the store.
        if self.consumer.stream is not None:
            self.consumer.connection_lost()
        self.consumer = Consumer(self.vbucket, self.store, catch_up=self.buggy)

    # What the adapter reports, in the model's readable form.

    def observe(self):
        vb, consumer = self.vbucket, self.consumer
        number = {v: k + 1 for k, v in enumerate(vb.branch_order)}
        branch = lambda vbuuid: number.get(vbuuid, 0)
        mutation = lambda m: {"key": int(m.key[1:]), "branch": branch(m.vbuuid)} if m is not None else {"key": 0, "branch": 0}
        seqnos = range(1, self.max_seqno + 1)
        span = lambda r: {"start": r[0], "end": r[1]}
        point = lambda p: {"uuid": branch(p.vbuuid), "seqno": p.seqno, "snapStart": p.snap_start, "snapEnd": p.snap_end}
        stream = consumer.stream
        received = consumer.received
        copies = vb.copies
        return {
            "role": [x.role for x in copies],
            "stored": [[mutation(x.storage.get(k)) for k in seqnos] for x in copies],
            "high": [x.high for x in copies],
            "persisted": [x.persisted for x in copies],
            "snapshot": [span(x.snapshot) for x in copies],
            "persistedSnapshot": [span(x.persisted_snapshot) for x in copies],
            "ends": [sum(1 << (k - 1) for k in x.ends) for x in copies],
            "failoverLog": [[{"uuid": branch(v), "seqno": s} for v, s in x.failover_log] for x in copies],
            "failedOver": [x.failed_over for x in copies],
            "active": vb.active + 1,
            "branches": vb.branches,
            "stream": {"state": "Closed", "source": 0, "uuid": 0, "position": 0, "snapStart": 0, "snapEnd": 0, "first": False}
            if stream is None
            else {"state": "Open", "source": stream.source + 1, "uuid": branch(stream.vbuuid), "position": stream.position,
                  "snapStart": stream.snap_start, "snapEnd": stream.snap_end, "first": stream.first},
            "received": {"seqno": 0, "key": 0, "branch": 0, "uuid": 0, "snapStart": 0, "snapEnd": 0}
            if received is None
            else {"seqno": received.mutation.seqno, "key": int(received.mutation.key[1:]), "branch": branch(received.mutation.vbuuid),
                  "uuid": branch(received.vbuuid), "snapStart": received.snap_start, "snapEnd": received.snap_end},
            "offset": point(consumer.offset),
            "checkpoint": point(self.store.checkpoint),
            "consistent": consumer.consistent,
            "catchup": consumer.catchup,
            "persistView": consumer.persist_view,
            "persistViewBranch": branch(consumer.persist_view_vbuuid),
            "sink": [mutation(self.store.sink.get(k)) for k in seqnos],
        }
