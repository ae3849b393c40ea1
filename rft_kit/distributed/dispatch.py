"""The driver's loop: stream chunks to long-lived actors pinned to the cluster's nodes, collect them as they finish.

What it guarantees, whatever the actors run:

* bounded memory: at most ``in_flight_per_actor`` chunks per actor are submitted and not yet collected, plus the
  chunks waiting to be retried (never more than were in flight); the source iterator is read only to refill;
* every chunk is handed to ``on_result`` exactly once, as soon as it finishes (the caller writes it to the output);
* a chunk whose actor died (its node lost, the process killed) or whose task raised is sent again, to another live
  actor, up to ``max_retries`` times; only the chunks in flight on a lost node are redone;
* when every actor is gone, new ones are started on the nodes alive then; with none, :class:`ClusterError`.

Retries are the driver's and not Ray's ``max_task_retries``: an actor is pinned to its node (hard node affinity, so
each node gets its own warm pool), and a chunk whose node is gone must move to another actor, which Ray's per-actor
retries cannot do. ``max_restarts=0`` makes a dead actor fail its tasks at once instead of waiting for a restart
that cannot happen.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from . import ClusterError, ExecutionReport
from .ray_cluster import NodeSlot, alive_nodes, import_ray

__all__ = ["run_chunks"]

C = TypeVar("C")

DEFAULT_MAX_RETRIES = 3
IN_FLIGHT_PER_ACTOR = 2  # one chunk running, one queued behind it so the actor never waits for the driver
READY_TIMEOUT_S = 300.0  # actor start-up includes warming a sandbox pool; a node without free CPUs never starts one


@dataclass(eq=False)
class _Actor:
    handle: Any
    node_id: str
    load: int = 0


def _start(
    remote_cls: Any,
    actors_per_node: Callable[[NodeSlot], int],
    actor_args: Callable[[NodeSlot, int], tuple[Any, ...]],
    timeout_s: float,
) -> list[_Actor]:
    ray = import_ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = alive_nodes()
    if not nodes:
        raise ClusterError("the Ray cluster has no live node with a CPU to run on")
    total = sum(actors_per_node(node) for node in nodes)
    actors = []
    for node in nodes:
        for _ in range(actors_per_node(node)):
            handle = remote_cls.options(
                num_cpus=1,
                max_restarts=0,
                max_task_retries=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False),
            ).remote(*actor_args(node, total))
            actors.append(_Actor(handle, node.node_id))
    pending = {actor.handle.ready.remote(): actor for actor in actors}
    ready, not_ready = ray.wait(list(pending), num_returns=len(pending), timeout=timeout_s)
    alive: list[_Actor] = []
    errors: list[str] = []
    for ref in ready:
        try:
            ray.get(ref)
        except ray.exceptions.RayError as exc:
            errors.append(f"node {pending[ref].node_id[:12]}: {_short(exc)}")
            ray.kill(pending[ref].handle, no_restart=True)
        else:
            alive.append(pending[ref])
    for ref in not_ready:
        errors.append(f"node {pending[ref].node_id[:12]}: not started within {timeout_s:g} s (no free CPU?)")
        ray.kill(pending[ref].handle, no_restart=True)
    if not alive:
        raise ClusterError("no Ray worker could start: " + "; ".join(errors))
    return alive


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def run_chunks(
    chunks: Iterator[C],
    *,
    actor_cls: type,
    actors_per_node: Callable[[NodeSlot], int],
    actor_args: Callable[[NodeSlot, int], tuple[Any, ...]],
    on_result: Callable[[C, Any], None],
    report: ExecutionReport,
    max_retries: int = DEFAULT_MAX_RETRIES,
    in_flight_per_actor: int = IN_FLIGHT_PER_ACTOR,
    ready_timeout_s: float = READY_TIMEOUT_S,
) -> None:
    """Run ``actor.run(chunk)`` for every chunk on actors of ``actor_cls`` (see the module docstring).

    ``actor_cls`` has ``ready()`` (returns once warm) and ``run(chunk) -> (node_id, result)``; ``actor_args(node,
    total_actors)`` are its constructor's arguments on ``node``.
    """
    ray = import_ray()
    remote_cls = ray.remote(actor_cls)
    actors = _start(remote_cls, actors_per_node, actor_args, ready_timeout_s)
    report.actors += len(actors)
    in_flight: dict[Any, tuple[C, _Actor, int]] = {}
    retry: deque[tuple[C, int]] = deque()
    source_done = False

    def failed(chunk: C, attempt: int, exc: BaseException) -> None:
        if attempt >= max_retries:
            raise ClusterError(f"a chunk failed {attempt + 1} times on the cluster; last error: {_short(exc)}") from exc
        report.retried += 1
        retry.append((chunk, attempt + 1))

    try:
        while True:
            while actors and (retry or not source_done):
                actor = min(actors, key=lambda a: a.load)
                if actor.load >= in_flight_per_actor:
                    break
                if retry:
                    chunk, attempt = retry.popleft()
                else:
                    nxt = next(chunks, None)
                    if nxt is None:
                        source_done = True
                        break
                    chunk, attempt = nxt, 0
                in_flight[actor.handle.run.remote(chunk)] = (chunk, actor, attempt)
                actor.load += 1
            if not in_flight:
                if retry or not source_done:  # every actor was lost: start new ones where nodes are alive now
                    actors = _start(remote_cls, actors_per_node, actor_args, ready_timeout_s)
                    report.actors += len(actors)
                    continue
                break
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            chunk, actor, attempt = in_flight.pop(ready[0])
            actor.load -= 1
            try:
                node_id, result = ray.get(ready[0])
            except ray.exceptions.RayActorError as exc:
                if actor in actors:
                    actors.remove(actor)
                    report.lost_actors += 1
                failed(chunk, attempt, exc)
            except ray.exceptions.RayError as exc:
                failed(chunk, attempt, exc)
            else:
                report.tasks += 1
                report.chunks_by_node[str(node_id)] += 1
                on_result(chunk, result)
    finally:
        for ref in in_flight:
            ray.cancel(ref, force=False)
        for actor in actors:
            ray.kill(actor.handle, no_restart=True)
