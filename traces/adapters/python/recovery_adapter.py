"""replcheck adapter (protocol version 1) for recovery_impl.py.

Usage: replcheck conform recovery --adapter "python3 traces/adapters/python/recovery_adapter.py [--buggy]"

Reads one JSON request per line on stdin, writes one JSON reply per line on stdout
(traces/schema/adapter-request.schema.json and adapter-reply.schema.json). A step the
implementation refuses is answered with an error reply naming why.

--buggy plants the bug of the model variant lsn-only-handshake: the handshake's gap is classified
from LSNs alone, ignoring the epoch the replica reports for its entry.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recovery_impl import Cluster, Refused  # noqa: E402

# Node ids on the wire are 1-based; the implementation indexes nodes from 0.
NODE_ARGS = {"r"}


def main():
    buggy = "--buggy" in sys.argv[1:]
    cluster = None
    for line in sys.stdin:
        request = json.loads(line)
        kind = request["type"]
        if kind == "hello":
            if request["protocol"] != "recovery":
                reply = {"type": "error", "message": "this adapter implements recovery only"}
            else:
                cluster = Cluster(request["config"]["replicas"], buggy=buggy)
                reply = {"type": "hello", "version": 1, "implementation": "python recovery (%s)" % ("buggy" if buggy else "correct")}
        elif kind == "reset":
            cluster.reset()
            reply = {"type": "state", "observed": cluster.observe()}
        elif kind == "step":
            step = getattr(cluster, request["action"], None) if request["action"][:1].isupper() else None
            if step is None:
                reply = {"type": "error", "message": "unknown action %s" % request["action"]}
            else:
                args = {name: (value - 1 if name in NODE_ARGS else value) for name, value in request["args"].items()}
                try:
                    step(request["node"] - 1, **args)
                    reply = {"type": "state", "observed": cluster.observe()}
                except Refused as e:
                    reply = {"type": "error", "message": "%s refused: %s" % (request["action"], e)}
        elif kind == "bye":
            return
        else:
            reply = {"type": "error", "message": "unknown request %s" % kind}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
