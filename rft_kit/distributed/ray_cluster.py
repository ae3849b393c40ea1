"""Joining (or starting) a Ray cluster, and the nodes that can take work.

The usual Ray conventions: ``address="auto"`` joins the cluster running on this machine, ``ray://host:10001`` a
remote one through Ray Client, ``host:6379`` a cluster's GCS; no address (and no ``RAY_ADDRESS``) starts a local Ray
instance for this run only, stopped at the end. A driver already connected (``ray.init`` called by the caller) is
used as it is and left connected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import DependencyError
from . import ClusterError

__all__ = ["NodeSlot", "alive_nodes", "import_ray", "ray_session"]


def import_ray() -> Any:
    """The ``ray`` module, or a DependencyError that says how to install it."""
    try:
        import ray
    except ImportError:
        raise DependencyError(
            "the Ray executor needs Ray: pip install 'rft-kit[ray]' (or 'ray[default]') on the driver and every node"
        ) from None
    return ray


@dataclass(frozen=True)
class NodeSlot:
    """A live node of the cluster and its CPUs (Ray's logical ``CPU`` resource)."""

    node_id: str
    cpus: int


@contextmanager
def ray_session(address: str | None) -> Iterator[tuple[str | None, bool]]:
    """Connect for the duration of a run; yields ``(cluster address, started_here)``."""
    ray = import_ray()
    if ray.is_initialized():
        yield _gcs_address(ray), False
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    # Ray's own logging of worker output is noise in a CLI run; errors still reach the driver as exceptions.
    kwargs: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
    try:
        if address is None:
            # "local", not None: with None Ray joins the last cluster started on this machine, if any
            ray.init(address="local", include_dashboard=False, **kwargs)
        else:
            ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address!r}" if address else "a local Ray instance"
        hint = " (is a cluster running? `ray start --head`, or give its address)" if address == "auto" else ""
        raise ClusterError(f"cannot start or join {where}: {exc}{hint}") from None
    try:
        yield _gcs_address(ray), address is None
    finally:
        ray.shutdown()


def _gcs_address(ray: Any) -> str | None:
    """The address of the cluster this driver is connected to (what ``--ray-address`` would name)."""
    try:
        return str(ray.get_runtime_context().gcs_address)
    except Exception:  # an attribute of Ray's runtime context, not a documented API: the summary can do without
        return None


def alive_nodes() -> list[NodeSlot]:
    """The nodes alive now with at least one CPU (a head started with ``--num-cpus=0`` takes no work)."""
    ray = import_ray()
    slots = []
    for node in ray.nodes():
        cpus = int(node.get("Resources", {}).get("CPU", 0))
        if node.get("Alive") and cpus >= 1:
            slots.append(NodeSlot(str(node["NodeID"]), cpus))
    return slots
