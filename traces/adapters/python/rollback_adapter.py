"""replcheck adapter (protocol version 1) for rollback_impl.py.

Usage: replcheck conform rollback --adapter "python3 traces/adapters/python/rollback_adapter.py [--buggy]"

Reads one JSON request per line on stdin, writes one JSON reply per line on stdout
(traces/schema/adapter-request.schema.json and adapter-reply.schema.json).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rollback_impl import RollbackCluster  # noqa: E402

# Node ids on the wire are 1-based; the implementation indexes servers from 0.
NODE_ARGS = {"j", "leader"}
NODE_SET_ARGS = {"ayeVoters", "acknowledgers"}


def main():
    buggy = "--buggy" in sys.argv[1:]
    cluster = None
    for line in sys.stdin:
        request = json.loads(line)
        kind = request["type"]
        if kind == "hello":
            if request["protocol"] != "rollback":
                reply = {"type": "error", "message": "this adapter implements rollback only"}
            else:
                cluster = RollbackCluster(request["config"]["servers"], buggy=buggy)
                reply = {"type": "hello", "version": 1, "implementation": "python rollback (%s)" % ("buggy" if buggy else "correct")}
        elif kind == "reset":
            cluster.reset()
            reply = {"type": "state", "observed": cluster.observe()}
        elif kind == "step":
            step = getattr(cluster, request["action"], None)
            if step is None:
                reply = {"type": "error", "message": "unknown action %s" % request["action"]}
            else:
                args = {}
                for name, value in request["args"].items():
                    if name in NODE_ARGS:
                        value = value - 1
                    elif name in NODE_SET_ARGS:
                        value = [v - 1 for v in value]
                    args[name] = value
                node = request["node"] - 1
                step(node, **args)
                reply = {"type": "state", "observed": cluster.observe()}
        elif kind == "bye":
            return
        else:
            reply = {"type": "error", "message": "unknown request %s" % kind}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
