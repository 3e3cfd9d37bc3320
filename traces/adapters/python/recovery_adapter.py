"""replcheck adapter (protocol version 1) for recovery_impl.py.

Usage: replcheck conform recovery --adapter "python3 traces/adapters/python/recovery_adapter.py [--buggy]"

Reads one JSON request per line on stdin, writes one JSON reply per line on stdout
(traces/schema/adapter-request.schema.json and adapter-reply.schema.json). A step the
implementation refuses is answered with an error reply naming why.

--buggy plants the bug of the model variant lsn-only-handshake: the handshake's gap is classified
from LSNs alone, ignoring the epoch the replica reports for its entry.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adapter_loop import serve  # noqa: E402
from recovery_impl import Cluster, Refused  # noqa: E402

if __name__ == "__main__":
    serve("recovery", lambda config, buggy: Cluster(config["replicas"], buggy=buggy), node_args={"r"}, refused=(Refused,))
