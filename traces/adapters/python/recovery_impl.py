"""A small Python implementation of the recovery protocol (model/protocols/recovery): block-storage
nodes with a write-ahead log, a master that assigns epochs, and the primary-side recovery driver
that brings a replica back (handshake and classification, WAL / snapshot / full-base pins, catch-up
stream, truncation, rebuild transfer, completion and release), with WAL garbage collection,
snapshots, lost connections, failover and crashes.

It is an example for `replcheck conform`, not a production component: it applies the steps the
model chooses and keeps the state a real implementation would keep, each node its own:

- durable: the log (the epoch that wrote each entry, LSN 1 first), the WAL's retention boundary
  (`tail`), the accepted epoch and the role;
- while primary: the committed LSN, the snapshot (None for none), and one `Sender` per peer it has
  dealt with (its view of the replica, the acknowledged LSN, and the open recovery `Session` with the
  pins that session holds). A crash or a demotion loses them.

Messages between nodes are method calls on the receiving `Node`: the replica answers the handshake
with a report (its flushed LSN and the epoch of its entry at the LSN the primary asks about) and
accepts data only from a sender whose epoch is at least its own (fencing). The primary classifies
the gap from that report and its own WAL alone (`Primary.classify`).

`observe()` writes the state in the model's readable form (node variables as arrays by node, pins
as LSN + 1 with 0 for none, a closed session as the model's zero fields).

`buggy=True` plants the bug of the model variant lsn-only-handshake: the gap is classified from
LSNs alone, ignoring the epoch the replica reports, so a replica holding a deposed primary's
entries at the committed LSN is taken to be in sync.
"""

# Gap classifications.
ZERO_GAP, CATCH_UP, TRUNCATE, NEEDS_REBUILD = "ZeroGap", "CatchUp", "Truncate", "NeedsRebuild"


class Refused(Exception):
    """A step the implementation refuses (the adapter replies with an error)."""


class Session:
    """A recovery session the primary runs for one replica, and the pins it holds (LSNs, None for none)."""

    def __init__(self, kind, phase, epoch, start=0, progress=0, target=0):
        self.kind = kind  # "CatchUp" or "Rebuild"
        self.phase = phase
        self.epoch = epoch  # the primary's epoch when the session was opened
        self.start = start
        self.progress = progress
        self.target = target
        self.invalidated = False
        self.wal_pin = None  # the first retained LSN - 1: entries above it may not be recycled
        self.snapshot_pin = None
        self.full_base_pin = None

    def release(self):
        self.wal_pin = self.snapshot_pin = self.full_base_pin = None

    def pins(self):
        return [p for p in (self.wal_pin, self.snapshot_pin, self.full_base_pin) if p is not None]


class Sender:
    """The primary's view of one replica (Disconnected, NeedsRebuild, InSync) and its session."""

    def __init__(self):
        self.view = "Disconnected"
        self.acked = 0
        self.session = None


class Node:
    def __init__(self, ident):
        self.id = ident
        self.role = "Replica"
        self.epoch = 1
        self.log = []  # entry epochs, LSN 1 first
        self.tail = 0  # entries at or below it are recycled into the extent
        # The primary's memory.
        self.committed = 0
        self.snapshot = None
        self.senders = {}

    # What the node does as a replica (messages from a primary).

    def accepts(self, epoch):
        return self.role == "Replica" and self.epoch <= epoch

    def handshake_report(self, primary_epoch, check_lsn):
        """Answers a primary's handshake: its flushed LSN and the epoch of its entry at min(flushed, check_lsn)."""
        if not self.accepts(primary_epoch):
            raise Refused("node %d refuses a handshake at epoch %d" % (self.id + 1, primary_epoch))
        flushed = len(self.log)
        checked = min(flushed, check_lsn)
        report = (flushed, self.log[checked - 1] if checked > 0 else 0)
        self.epoch = primary_epoch
        return report

    def receive_entry(self, epoch, lsn, entry_epoch):
        if not self.accepts(epoch):
            raise Refused("node %d refuses entry %d from epoch %d" % (self.id + 1, lsn, epoch))
        self.log.append(entry_epoch)

    def truncate_to(self, epoch, lsn):
        """Removes the entries above lsn; False if they reach below the WAL's start."""
        if not self.accepts(epoch):
            raise Refused("node %d refuses a truncation from epoch %d" % (self.id + 1, epoch))
        if lsn < self.tail:
            return False
        del self.log[lsn:]
        return True

    def install_base(self, epoch, entries):
        """Replaces the node's data by a base (the primary's history up to its LSN); the WAL starts after it."""
        if not self.accepts(epoch):
            raise Refused("node %d refuses a base from epoch %d" % (self.id + 1, epoch))
        self.log = list(entries)
        self.tail = len(entries)
        self.epoch = epoch

    # Role changes.

    def forget(self):
        """Loses the primary's memory: senders, sessions, pins, commit point and snapshot trust."""
        self.senders = {}
        self.committed = 0
        self.snapshot = None


class Cluster:
    def __init__(self, replicas, buggy=False):
        self.n = replicas + 1
        self.buggy = buggy
        self.reset()

    def reset(self):
        self.nodes = [Node(i) for i in range(self.n)]
        self.master_epoch = 1
        self.master_primary = 0
        self.nodes[0].role = "Primary"

    def _sender(self, p, r):
        node = self.nodes[p]
        if node.role != "Primary":
            raise Refused("node %d is not a primary" % (p + 1))
        if r == p:
            raise Refused("node %d is the primary itself" % (r + 1))
        return node.senders.setdefault(r, Sender())

    def _session(self, p, r, *phases, valid=True):
        session = self._sender(p, r).session
        if session is None or session.phase not in phases:
            raise Refused("node %d has no session in %s for node %d" % (p + 1, "/".join(phases), r + 1))
        if valid and session.invalidated:
            raise Refused("the session of node %d for node %d was invalidated" % (p + 1, r + 1))
        return session

    def _recompute_commit(self, p):
        """Best effort: the highest LSN every replica in sync acknowledged (the head with none); never lowered."""
        node = self.nodes[p]
        c = len(node.log)
        for sender in node.senders.values():
            if sender.view == "InSync":
                c = min(c, sender.acked)
        node.committed = max(node.committed, c)

    def _end(self, sender, view):
        sender.session = None
        sender.view = view

    def _fail_plan(self, p, r):
        sender = self._sender(p, r)
        sender.session.release()
        self._end(sender, "NeedsRebuild" if sender.session.kind == "Rebuild" else "Disconnected")

    # Classification: the primary's own WAL and the replica's report only.

    def classify(self, p, flushed, reported_epoch):
        primary = self.nodes[p]
        committed, tail = primary.committed, primary.tail
        if not self.buggy:
            checked = min(flushed, committed)
            # Below the WAL's tail there is no record to compare with: a diverged or unknown history.
            if checked > 0 and (checked < tail or primary.log[checked - 1] != reported_epoch):
                return NEEDS_REBUILD
        if flushed == committed:
            return ZERO_GAP
        if flushed > committed:
            return TRUNCATE
        if flushed >= tail:
            return CATCH_UP
        return NEEDS_REBUILD

    # Client writes and live shipping.

    def Write(self, p):
        node = self.nodes[p]
        if node.role != "Primary":
            raise Refused("node %d is not a primary" % (p + 1))
        node.log.append(node.epoch)
        self._recompute_commit(p)

    def Replicate(self, p, r):
        sender = self._sender(p, r)
        primary = self.nodes[p]
        lsn = sender.acked + 1
        self.nodes[r].receive_entry(primary.epoch, lsn, primary.log[lsn - 1])
        sender.acked = lsn
        self._recompute_commit(p)

    # The recovery driver.

    def Handshake(self, p, r):
        sender = self._sender(p, r)
        primary = self.nodes[p]
        if sender.session is not None or sender.view != "Disconnected":
            raise Refused("node %d already deals with node %d" % (p + 1, r + 1))
        flushed, reported = self.nodes[r].handshake_report(primary.epoch, primary.committed)
        outcome = self.classify(p, flushed, reported)
        if outcome == ZERO_GAP:
            sender.view = "InSync"
            sender.acked = flushed
        elif outcome == NEEDS_REBUILD:
            sender.view = "NeedsRebuild"
        elif outcome == TRUNCATE:
            sender.session = Session("CatchUp", "TruncatePlanned", primary.epoch, 0, flushed, primary.committed)
        else:
            sender.session = Session("CatchUp", "Planned", primary.epoch, flushed, flushed, primary.committed)

    def PinWal(self, p, r):
        session = self._session(p, r, "Planned", "SnapshotPinned")
        if session.start < self.nodes[p].tail:
            # The start was recycled since the plan: the pinner refuses.
            return self._fail_plan(p, r)
        session.wal_pin = session.start
        session.phase = "CatchingUp" if session.phase == "Planned" else "Transferring"

    def PinFails(self, p, r):
        self._session(p, r, "Planned", "RebuildAssigned", "SnapshotPinned")
        self._fail_plan(p, r)

    def Truncate(self, p, r):
        sender = self._sender(p, r)
        session = self._session(p, r, "TruncatePlanned")
        if self.nodes[p].committed != session.target:
            # The commit point moved since the plan: classify again.
            if not self.nodes[r].accepts(session.epoch):
                raise Refused("node %d is unreachable" % (r + 1))
            return self._end(sender, "Disconnected")
        if not self.nodes[r].truncate_to(session.epoch, session.target):
            return self._end(sender, "NeedsRebuild")
        session.progress = session.target
        session.phase = "Truncated"

    def StartRebuild(self, p, r):
        sender = self._sender(p, r)
        if sender.view != "NeedsRebuild" or sender.session is not None:
            raise Refused("node %d does not need a rebuild of node %d" % (p + 1, r + 1))
        sender.session = Session("Rebuild", "RebuildAssigned", self.nodes[p].epoch)

    def PlanRebuild(self, p, r):
        session = self._session(p, r, "RebuildAssigned")
        primary = self.nodes[p]
        session.target = primary.committed
        if primary.snapshot is not None and primary.snapshot >= primary.tail:
            # A trusted snapshot whose WAL tail is still retained: snapshot + tail.
            session.snapshot_pin = primary.snapshot
            session.start = primary.snapshot
            session.phase = "SnapshotPinned"
        else:
            session.full_base_pin = primary.committed
            session.start = primary.committed
            session.phase = "Transferring"

    def Transfer(self, p, r):
        session = self._session(p, r, "Transferring")
        self.nodes[r].install_base(session.epoch, self.nodes[p].log[: session.start])
        session.progress = session.start
        session.phase = "CatchingUp"

    def StreamEntry(self, p, r):
        session = self._session(p, r, "CatchingUp")
        primary = self.nodes[p]
        if session.wal_pin is None or session.progress >= primary.committed:
            raise Refused("nothing to stream from node %d to node %d" % (p + 1, r + 1))
        if not self.nodes[r].accepts(session.epoch):
            raise Refused("node %d is unreachable" % (r + 1))
        lsn = session.progress + 1
        if lsn <= primary.tail:
            # A recycled entry cannot be read: the stream fails.
            session.invalidated = True
            return
        self.nodes[r].receive_entry(session.epoch, lsn, primary.log[lsn - 1])
        session.progress = lsn

    def Complete(self, p, r):
        sender = self._sender(p, r)
        session = self._session(p, r, "CatchingUp", "Truncated")
        committed = self.nodes[p].committed
        session.release()
        if session.progress == committed:
            self._end(sender, "InSync")
            sender.acked = session.progress
            self._recompute_commit(p)
        else:
            # The commit point moved on and nothing is pinned to stream it from: classify again.
            self._end(sender, "Disconnected")

    def ReleaseSession(self, p, r):
        sender = self._sender(p, r)
        session = sender.session
        if session is None or not session.invalidated:
            raise Refused("node %d has no invalidated session for node %d" % (p + 1, r + 1))
        session.release()
        self._end(sender, "NeedsRebuild" if session.kind == "Rebuild" else "Disconnected")

    def Disconnect(self, p, r):
        sender = self._sender(p, r)
        if sender.session is not None and not sender.session.invalidated:
            sender.session.invalidated = True
        elif sender.session is not None or sender.view != "InSync":
            raise Refused("node %d is not connected to node %d" % (p + 1, r + 1))
        else:
            sender.view = "Disconnected"
            sender.acked = 0
            self._recompute_commit(p)

    # The primary's housekeeping.

    def CollectWal(self, p, upTo):
        primary = self.nodes[p]
        floor = primary.committed
        for sender in primary.senders.values():
            if sender.session is not None:
                for pin in (sender.session.wal_pin, sender.session.snapshot_pin):
                    if pin is not None:
                        floor = min(floor, pin)
        if not primary.tail < upTo <= floor:
            raise Refused("node %d may not recycle up to %d (floor %d)" % (p + 1, upTo, floor))
        primary.tail = upTo

    def TakeSnapshot(self, p):
        primary = self.nodes[p]
        if any(s.session is not None and s.session.snapshot_pin is not None for s in primary.senders.values()):
            raise Refused("node %d's snapshot is pinned" % (p + 1))
        primary.snapshot = primary.committed

    # The master, assignments and faults.

    def Failover(self, n):
        self.master_epoch += 1
        self.master_primary = n

    def AcceptAssignment(self, n):
        node = self.nodes[n]
        node.epoch = self.master_epoch
        if self.master_primary == n and node.role == "Primary":
            # Re-assigned at a new epoch: every open session is invalidated, every replica handshaken again.
            for sender in node.senders.values():
                if sender.session is not None:
                    sender.session.invalidated = True
                elif sender.view == "InSync":
                    sender.view = "Disconnected"
                    sender.acked = 0
            self._recompute_commit(n)
        elif self.master_primary == n:
            node.role = "Primary"
            node.committed = len(node.log)
        elif node.role == "Primary":
            node.role = "Replica"
            node.forget()

    def Crash(self, n):
        node = self.nodes[n]
        node.role = "Down"
        node.forget()

    def Restart(self, n):
        self.nodes[n].role = "Replica"

    # What the adapter reports, in the model's readable form.

    @staticmethod
    def _sender_record(sender):
        record = {"view": "Disconnected", "acked": 0, "phase": "None", "invalidated": False, "kind": "CatchUp", "epoch": 0, "start": 0,
                  "progress": 0, "target": 0, "walPin": 0, "snapshotPin": 0, "fullBasePin": 0}
        if sender is None:
            return record
        record["view"] = sender.view
        record["acked"] = sender.acked
        session = sender.session
        if session is not None:
            pin = lambda lsn: 0 if lsn is None else lsn + 1
            record.update(phase=session.phase, invalidated=session.invalidated, kind=session.kind, epoch=session.epoch, start=session.start,
                          progress=session.progress, target=session.target, walPin=pin(session.wal_pin),
                          snapshotPin=pin(session.snapshot_pin), fullBasePin=pin(session.full_base_pin))
        return record

    def observe(self):
        nodes = self.nodes
        return {
            "master": {"epoch": self.master_epoch, "primary": self.master_primary + 1},
            "role": [x.role for x in nodes],
            "epoch": [x.epoch for x in nodes],
            "log": [list(x.log) for x in nodes],
            "tail": [x.tail for x in nodes],
            "committed": [x.committed for x in nodes],
            "snapshot": [x.snapshot or 0 for x in nodes],
            "sender": [[self._sender_record(x.senders.get(r)) for r in range(self.n)] for x in nodes],
        }
