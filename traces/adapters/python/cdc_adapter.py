"""replcheck adapter (protocol version 1) for cdc_impl.py.

Usage: replcheck conform cdc --adapter "python3 traces/adapters/python/cdc_adapter.py [--buggy]"

Reads one JSON request per line on stdin, writes one JSON reply per line on stdout
(traces/schema/adapter-request.schema.json and adapter-reply.schema.json). A step the
implementation refuses is answered with an error reply naming why. The consumer's steps act on no
copy (`"node": null`); a copy's steps name it as the node.

--buggy plants the consumer bug of the model variant catch-up-after-rollback (go-dcp's catch-up):
after a rollback the consumer does not truncate its sink and drops re-sent events up to its old
position.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adapter_loop import serve  # noqa: E402
from cdc_impl import Cluster, Refused  # noqa: E402

if __name__ == "__main__":
    serve("cdc", lambda config, buggy: Cluster(config["replicas"], config["maxSeqno"], config["keys"], config["maxFailovers"], buggy=buggy), refused=(Refused,))
