"""The replcheck adapter protocol (version 1), shared by the example adapters in this folder.

Reads one JSON request per line on stdin and writes one JSON reply per line on stdout
(traces/schema/adapter-request.schema.json and adapter-reply.schema.json): hello, reset, step,
bye. Node ids on the wire are 1-based; the implementations index nodes from 0, so the acting node
and every argument named in `node_args` (a node) or `node_set_args` (a list of nodes) are shifted.
A step with no acting node (`"node": null`: an action whose first parameter is no node) is called
with its arguments alone.
A step the implementation refuses (one of the exceptions in `refused`) is answered with an error
reply naming why.

`propose` (implementation-driven runs) asks the implementation to take a step of its own choosing:
the cluster's `propose(rng)` takes one, using the seeded `random.Random` for any choice, and
returns (action, node or None, args) with 0-based node ids, or None when it has nothing to do.
An implementation without `propose` answers with an error.

`--buggy` (or any `--buggy-<name>`) on the command line is passed to the cluster factory as its
name ("buggy", "buggy-<name>") and shown in the implementation's name; without one, None.
"""
import json
import random
import sys


def _wire(value, name, node_args, node_set_args):
    """An argument's value with 0-based node ids made 1-based (what goes on the wire)."""
    if name in node_args:
        return value + 1
    if name in node_set_args:
        return sorted(v + 1 for v in value)
    return value


def serve(protocol, make_cluster, node_args=(), node_set_args=(), refused=()):
    buggy = next((a[2:] for a in sys.argv[1:] if a == "--buggy" or a.startswith("--buggy-")), None)
    cluster = None
    for line in sys.stdin:
        request = json.loads(line)
        kind = request["type"]
        if kind == "hello":
            if request["protocol"] != protocol:
                reply = {"type": "error", "message": "this adapter implements %s only" % protocol}
            else:
                cluster = make_cluster(request["config"], buggy)
                reply = {"type": "hello", "version": 1, "implementation": "python %s (%s)" % (protocol, buggy or "correct")}
        elif kind == "reset":
            cluster.reset()
            reply = {"type": "state", "observed": cluster.observe()}
        elif kind == "step":
            # Actions are capitalised; anything else (reset, observe, ...) is not a step.
            step = getattr(cluster, request["action"], None) if request["action"][:1].isupper() else None
            if step is None:
                reply = {"type": "error", "message": "unknown action %s" % request["action"]}
            else:
                args = {}
                for name, value in request["args"].items():
                    if name in node_args:
                        value = value - 1
                    elif name in node_set_args:
                        value = [v - 1 for v in value]
                    args[name] = value
                node = request["node"]
                try:
                    if node is None:
                        step(**args)
                    else:
                        step(node - 1, **args)
                    reply = {"type": "state", "observed": cluster.observe()}
                except refused as e:
                    reply = {"type": "error", "message": "%s refused: %s" % (request["action"], e)}
        elif kind == "propose":
            propose = getattr(cluster, "propose", None)
            if propose is None:
                reply = {"type": "error", "message": "this implementation does not choose its own steps"}
            else:
                took = propose(random.Random(request["seed"]))
                if took is None:
                    reply = {"type": "idle"}
                else:
                    action, node, args = took
                    reply = {
                        "type": "took",
                        "action": action,
                        "node": None if node is None else node + 1,
                        "args": {k: _wire(v, k, node_args, node_set_args) for k, v in args.items()},
                        "observed": cluster.observe(),
                    }
        elif kind == "bye":
            return
        else:
            reply = {"type": "error", "message": "unknown request %s" % kind}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
