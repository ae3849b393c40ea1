"""Where a run's work executes: ``local`` (this machine) or ``ray`` (a Ray cluster).

This module never imports Ray: ``import rft_kit`` stays free of it. The Ray executor lives in
:mod:`rft_kit.distributed.ray_cluster`, :mod:`~rft_kit.distributed.dispatch` and the per-stage modules, imported only
when ``executor="ray"`` is asked for. README.md ("Running on a Ray cluster") describes the cost model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import RftKitError

__all__ = ["EXECUTORS", "ClusterError", "ExecutionReport", "Executor", "check_executor"]

Executor = Literal["local", "ray"]
EXECUTORS: tuple[Executor, ...] = ("local", "ray")


class ClusterError(RftKitError):
    """The cluster cannot do the work: no node could start a worker, or a chunk failed on every retry."""


def check_executor(executor: str) -> Executor:
    """``executor`` if it is ``local`` or ``ray``; else a ValueError that names both."""
    if executor == "local":
        return "local"
    if executor == "ray":
        return "ray"
    raise ValueError(f"executor must be 'local' or 'ray', got {executor!r}")


@dataclass
class ExecutionReport:
    """Where a run's work ran, for the summary: so a user can see that the cluster was used.

    Attributes:
        executor: ``local`` or ``ray``.
        address: the Ray cluster's GCS address (``None`` for local, or when Ray does not say).
        started_cluster: this run started a Ray instance of its own (no address was given).
        actors: Ray actors that did the work (one per node, or per CPU for plain CPU graders).
        tasks: chunks completed as Ray tasks (retries not counted).
        chunks_by_node: completed chunks per Ray node id.
        retried: chunk attempts that failed (a lost node or actor, an exception) and were sent again.
        lost_actors: actors lost during the run (their node died or they crashed).
    """

    executor: Executor = "local"
    address: str | None = None
    started_cluster: bool = False
    actors: int = 0
    tasks: int = 0
    chunks_by_node: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    lost_actors: int = 0

    @property
    def nodes(self) -> int:
        """Nodes that completed at least one chunk."""
        return len(self.chunks_by_node)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"executor": self.executor}
        if self.executor == "ray":
            out.update(
                address=self.address,
                started_cluster=self.started_cluster,
                nodes=self.nodes,
                actors=self.actors,
                tasks=self.tasks,
                chunks_by_node=dict(self.chunks_by_node),
                retried=self.retried,
                lost_actors=self.lost_actors,
            )
        return out

    def describe(self) -> str:
        """One line for a summary table."""
        if self.executor == "local":
            return "local"
        where = f" ({self.address})" if self.address else ""
        return (
            f"ray{where}: {self.tasks} tasks on {self.nodes} node(s), {self.actors} actor(s)"
            + (f", {self.retried} retried" if self.retried else "")
            + (f", {self.lost_actors} actor(s) lost" if self.lost_actors else "")
        )
