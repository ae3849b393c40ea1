"""Episode state by ``trace_id``: one environment per trace, built on its first call, carried across calls.

Decisions (documented in the README's serve-tools section):

- **First call**: an unknown ``trace_id`` gets a fresh environment built from its ``item.environment`` (the same
  ``build_environment`` a local rollout uses).
- **Same trace, other row**: a call whose ``item.environment`` differs from the one the trace was built from is
  refused (409): two rollouts sharing a trace id would otherwise mix their state.
- **Expiry**: a trace idle for ``ttl_s`` is closed; when ``max_traces`` are live, the least recently used idle one
  is evicted. A call for a trace that expired or was evicted is refused with 503 ``trace_expired``, not rebuilt:
  rebuilding would hand the model a fresh state in the middle of its episode (a cancelled order back, a booking
  gone) and train on a trajectory that never happened. Azure retries a 5xx three times, then discards the rollout,
  which is the honest outcome for an episode whose state is lost. The server remembers ``4 * max_traces`` expired
  ids; an id older than that, or any id after a server restart, looks new and is rebuilt.
- **Serialised calls**: the calls of one trace run one at a time, in arrival order (a lock per trace): a hosted
  trainer may send a turn's parallel calls concurrently, and environments are not thread-safe.
- **Retries**: a call whose ``call_id`` the trace has already executed is answered with the recorded output, not
  executed again (a retried 5xx, or a retry after a timeout, must not apply a refund twice). The same ``call_id``
  with another tool or other arguments is refused (409).
- **Broken environment**: when the environment itself fails (``EnvironmentFailure``, as a local rollout's
  ``env_error``), that call and every later call of the trace answer 500: the episode cannot go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..environments import Environment, EnvironmentFailure, build_environment
from ..rollout.tools import ToolRunner
from ..serving import HTTPError
from .protocol import FunctionCall

__all__ = ["DEFAULT_MAX_TRACES", "DEFAULT_TTL_S", "CallRecord", "Trace", "TraceStore"]

DEFAULT_TTL_S: Final = 3600.0
"""Idle time after which a trace is closed: longer than any pause between two turns of one rollout."""
DEFAULT_MAX_TRACES: Final = 4096
"""Live traces at most (memory is bounded by this many environments)."""
MAX_CALLS_PER_TRACE: Final = 1000
"""Calls one trace may make; beyond, the tool output tells the model to answer (hosted jobs cap episode steps
far lower)."""


@dataclass
class CallRecord:
    """One executed call, in the order the trace executed them."""

    id: str
    call_id: str
    name: str
    arguments: str
    output: str
    error: str | None


@dataclass
class Trace:
    """The state of one rollout."""

    trace_id: str
    spec: Mapping[str, Any]
    env: Environment | None = None
    broken: str | None = None
    calls: list[CallRecord] = field(default_factory=list)
    by_call_id: dict[str, CallRecord] = field(default_factory=dict)
    pending: dict[str, asyncio.Task[CallRecord]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    last_used: float = field(default_factory=time.monotonic)

    @property
    def idle(self) -> bool:
        return self.users == 0 and not self.lock.locked() and not self.pending


def _retrieve(task: asyncio.Task[CallRecord]) -> None:
    if not task.cancelled():
        task.exception()


class TraceStore:
    """Live traces (LRU order), remembered expired ids, and the environment work of each call.

    Args:
        runner: runs environment operations inline or in threads by their measured cost (the rollout engine's).
        ttl_s: idle time after which a trace is closed.
        max_traces: live traces at most.
    """

    def __init__(
        self, runner: ToolRunner, *, ttl_s: float = DEFAULT_TTL_S, max_traces: int = DEFAULT_MAX_TRACES
    ) -> None:
        if ttl_s <= 0 or max_traces < 1:
            raise ValueError("ttl_s must be > 0 and max_traces >= 1")
        self.runner = runner
        self.ttl_s = ttl_s
        self.max_traces = max_traces
        self._live: OrderedDict[str, Trace] = OrderedDict()
        self._gone: OrderedDict[str, str] = OrderedDict()
        self.built = 0
        self.expired = 0
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._live)

    def get(self, trace_id: str) -> Trace | None:
        """The live trace ``trace_id`` (no side effects)."""
        return self._live.get(trace_id)

    # ---------------------------------------------------------------------------------------------- lifecycle
    def _bury(self, trace: Trace, reason: str) -> None:
        self._live.pop(trace.trace_id, None)
        self._gone[trace.trace_id] = reason
        while len(self._gone) > 4 * self.max_traces:
            self._gone.popitem(last=False)
        if trace.env is not None:
            env, trace.env = trace.env, None
            with contextlib.suppress(Exception):  # a failing close must not keep the trace, or stop the server
                env.close()

    def sweep(self, now: float | None = None, *, full: bool = True) -> int:
        """Close idle traces unused for ``ttl_s``; returns how many.

        ``full=False`` (on every request) looks only at the least recently opened end and stops at the first trace
        still fresh, so a request costs O(expired), not O(live); the periodic full sweep catches the rest.
        """
        now = time.monotonic() if now is None else now
        stale: list[Trace] = []
        for trace in self._live.values():
            if now - trace.last_used <= self.ttl_s:
                if full:
                    continue
                break
            if trace.idle:
                stale.append(trace)
        for trace in stale:
            self._bury(trace, f"expired after {self.ttl_s:g} s idle")
        self.expired += len(stale)
        return len(stale)

    def _make_room(self) -> None:
        if len(self._live) < self.max_traces:
            return
        victim = next((t for t in self._live.values() if t.idle), None)  # front = least recently used
        if victim is None:
            raise HTTPError(503, f"{self.max_traces} traces are in progress at once, the server's limit; retry", "busy")
        self._bury(victim, f"evicted as the least recently used of {self.max_traces} live traces")
        self.evicted += 1

    def _gone_error(self, trace_id: str) -> HTTPError:
        return HTTPError(
            503,
            f"trace {trace_id[:80]!r} {self._gone[trace_id]}; its episode state is gone and is not rebuilt "
            "(that would change the episode under the model): discard this rollout",
            "trace_expired",
        )

    def open(self, trace_id: str, spec: Mapping[str, Any], *, create: bool = True) -> Trace | None:
        """The trace for a request (marked in use until :meth:`release`); ``None`` if unknown and not ``create``.

        Raises:
            HTTPError: 503 for an expired trace or no room, 409 for a trace of another row.
        """
        self.sweep(full=False)
        trace = self._live.get(trace_id)
        if trace is None:
            if trace_id in self._gone:
                raise self._gone_error(trace_id)
            if not create:
                return None
            self._make_room()
            trace = Trace(trace_id, spec)
            self._live[trace_id] = trace
        elif trace.spec != spec:  # dict equality, at C speed: no digest of a large spec per call
            raise HTTPError(
                409,
                f"trace {trace_id[:80]!r} was started with another item.environment; each rollout needs its own "
                "trace_id",
                "trace_conflict",
            )
        self._live.move_to_end(trace_id)
        trace.users += 1
        trace.last_used = time.monotonic()
        return trace

    def release(self, trace: Trace) -> None:
        trace.users -= 1
        trace.last_used = time.monotonic()

    def close(self) -> None:
        """Close every live environment."""
        for trace in list(self._live.values()):
            self._bury(trace, "closed when the server stopped")

    # ---------------------------------------------------------------------------------------------- work
    async def _ensure_env(self, trace: Trace) -> Environment:
        if trace.broken is not None:
            raise HTTPError(500, f"the environment of this trace broke earlier: {trace.broken}", "env_error")
        if trace.env is None:
            name = str(trace.spec.get("name"))
            try:
                trace.env, _ = await self.runner.run(name, "build", lambda: build_environment(trace.spec))
            except EnvironmentFailure as exc:
                # the row's own environment spec is invalid: the trainer sent a row no environment accepts
                self._live.pop(trace.trace_id, None)
                raise HTTPError(422, f"cannot build the environment of this item: {exc}", "bad_environment") from None
            self.built += 1
        assert trace.env is not None
        return trace.env

    async def _execute(self, trace: Trace, call: FunctionCall) -> CallRecord:
        async with trace.lock:
            try:
                env = await self._ensure_env(trace)
                error: str | None
                if len(trace.calls) >= MAX_CALLS_PER_TRACE:
                    output, error = (
                        f"error: this episode has made {MAX_CALLS_PER_TRACE} tool calls, the limit; give your "
                        "final answer now",
                        "tool_error",
                    )
                else:
                    try:
                        # timed per tool (one slow tool must not make the fast ones pay a thread hand-off, nor
                        # run inline because the others are fast); unknown names share one key (bounded)
                        op = f"call:{call.name}" if call.name in env.callable_tools() else "call:(unknown)"
                        result, _ = await self.runner.run(env.name, op, lambda: env.call(call.name, call.arguments))
                    except Exception as exc:  # EnvironmentFailure or a bug in the environment: it broke (env_error)
                        trace.broken = f"{type(exc).__name__}: {exc}"
                        raise HTTPError(
                            500, f"the environment failed on this call: {trace.broken}", "env_error"
                        ) from None
                    output, error = result.output, result.error
                record = CallRecord(call.id, call.call_id, call.name, call.arguments, output, error)
                trace.calls.append(record)
                trace.by_call_id[call.call_id] = record
                return record
            finally:
                trace.pending.pop(call.call_id, None)

    async def call(self, call: FunctionCall) -> CallRecord:
        """Execute ``call`` in its trace (once per ``call_id``) and return what it gave.

        Raises:
            HTTPError: see the module docstring.
        """
        trace = self.open(call.trace_id, call.environment)
        assert trace is not None
        try:
            done = trace.by_call_id.get(call.call_id)
            if done is None:
                task = trace.pending.get(call.call_id)
                if task is None:
                    task = asyncio.get_running_loop().create_task(self._execute(trace, call))
                    task.add_done_callback(_retrieve)  # its request may have timed out: nobody else awaits it
                    trace.pending[call.call_id] = task
                # shielded: a request that times out or whose client leaves does not cancel the call half-way
                # (the environment is mid-change and the lock must stay held until it is done)
                done = await asyncio.shield(task)
            if (done.name, done.arguments) != (call.name, call.arguments):
                raise HTTPError(
                    409,
                    f"call_id {call.call_id[:80]!r} was already used in this trace for another call "
                    f"({done.name}); each call needs its own call_id",
                    "call_conflict",
                )
            return done
        finally:
            self.release(trace)

    async def final(self, trace_id: str, spec: Mapping[str, Any]) -> tuple[list[CallRecord], dict[str, Any]]:
        """The calls a trace made and its environment's snapshot, once its calls in flight are done.

        A trace the server never saw made no calls (an agent that answered at once): its snapshot is the initial
        state of the item's environment.

        Raises:
            HTTPError: 503 for an expired trace, 409 for another row, 500 for a broken environment, 422 for a spec
                no environment accepts.
        """
        trace = self.open(trace_id, spec, create=False)
        if trace is None:
            name = str(spec.get("name"))
            try:
                env, _ = await self.runner.run(name, "build", lambda: build_environment(spec))
            except EnvironmentFailure as exc:
                raise HTTPError(422, f"cannot build the environment of this item: {exc}", "bad_environment") from None
            try:
                snapshot, _ = await self.runner.run(name, "snapshot", env.snapshot)
            finally:
                env.close()
            return [], snapshot
        try:
            async with trace.lock:
                env = await self._ensure_env(trace)
                try:
                    snapshot, _ = await self.runner.run(env.name, "snapshot", env.snapshot)
                except Exception as exc:
                    trace.broken = f"snapshot failed: {type(exc).__name__}: {exc}"
                    raise HTTPError(500, f"the environment failed: {trace.broken}", "env_error") from None
                return list(trace.calls), snapshot
        finally:
            self.release(trace)
