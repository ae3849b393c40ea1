"""A real two-node Ray cluster on this machine (``ray.cluster_utils.Cluster``: a head and one added node), started
once per module and shut down after it. Each node has one CPU and a small object store: the machine is shared."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

OBJECT_STORE = 100 * 1024 * 1024


def node_args() -> dict[str, Any]:
    return {"num_cpus": 1, "object_store_memory": OBJECT_STORE}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    # Without this, Ray replaces 127.0.0.1 by the machine's interface address and the driver hangs (PACKAGES.md).
    previous = os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    cl = Cluster(initialize_head=True, head_node_args={**node_args(), "include_dashboard": False})
    cl.add_node(**node_args())
    cl.wait_for_nodes()
    ray.init(address=cl.address, log_to_driver=False)
    try:
        yield cl
    finally:
        ray.shutdown()
        cl.shutdown()
        if previous is None:
            os.environ.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
        else:
            os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = previous


def alive_node_ids() -> set[str]:
    import ray

    return {n["NodeID"] for n in ray.nodes() if n["Alive"]}
