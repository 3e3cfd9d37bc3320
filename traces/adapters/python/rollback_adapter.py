"""replcheck adapter (protocol version 1) for rollback_impl.py.

Usage: replcheck conform rollback --adapter "python3 traces/adapters/python/rollback_adapter.py [--buggy | --buggy-votes]"

--buggy plants a bug in the rollback plan (the common point); --buggy-votes one in vote granting,
which only implementation-driven runs (conform --implementation-driven) exercise.

Reads one JSON request per line on stdin, writes one JSON reply per line on stdout
(traces/schema/adapter-request.schema.json and adapter-reply.schema.json).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adapter_loop import serve  # noqa: E402
from rollback_impl import RollbackCluster  # noqa: E402

if __name__ == "__main__":
    serve(
        "rollback",
        lambda config, buggy: RollbackCluster(
            config["servers"], config["maxTerm"], config["maxLogLen"], buggy=buggy == "buggy", buggy_votes=buggy == "buggy-votes"
        ),
        node_args={"j", "leader"},
        node_set_args={"ayeVoters", "acknowledgers"},
    )
