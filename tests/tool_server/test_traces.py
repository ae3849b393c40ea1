"""The trace store on its own: LRU order, expiry sweeps, the cap when every trace is busy."""

from __future__ import annotations

import asyncio
import time

import pytest

from rft_kit.rollout.tools import ToolRunner
from rft_kit.serving import HTTPError
from rft_kit.tool_server.protocol import FunctionCall
from rft_kit.tool_server.traces import TraceStore
from tests.rollout.envs import counter_row

SPEC = counter_row("r", [("a", 1)])["environment"]


def _call(trace: str, n: int) -> FunctionCall:
    item = {"environment": SPEC}
    return FunctionCall(f"fc{n}", f"c{n}", "add", '{"key": "a", "amount": 1}', trace, item)


def test_the_least_recently_used_idle_trace_is_evicted_first() -> None:
    async def run() -> TraceStore:
        store = TraceStore(ToolRunner(2), max_traces=3)
        for trace in ("a", "b", "c"):
            await store.call(_call(trace, 0))
        await store.call(_call("a", 1))  # a is now the most recently used
        await store.call(_call("d", 0))  # evicts b
        return store

    store = asyncio.run(run())
    assert store.get("b") is None and store.get("a") is not None and store.evicted == 1
    with pytest.raises(HTTPError) as info:
        store.open("b", SPEC)
    assert (info.value.status, info.value.kind) == (503, "trace_expired")


def test_no_room_when_every_trace_is_busy_is_a_retryable_503() -> None:
    store = TraceStore(ToolRunner(2), max_traces=2)
    held = [store.open(t, SPEC) for t in ("x", "y")]
    with pytest.raises(HTTPError) as info:
        store.open("z", SPEC)
    assert (info.value.status, info.value.kind) == (503, "busy")
    for trace in held:
        assert trace is not None
        store.release(trace)
    assert store.open("z", SPEC) is not None  # now x can go


def test_sweeps_close_idle_traces_past_the_ttl() -> None:
    store = TraceStore(ToolRunner(2), ttl_s=10)
    for trace in ("a", "b", "c"):
        opened = store.open(trace, SPEC)
        assert opened is not None
        store.release(opened)
    busy = store.open("c", SPEC)
    assert busy is not None
    later = time.monotonic() + 11
    assert store.sweep(later, full=False) == 2  # a, b; c is busy (and fresh)
    store.release(busy)
    assert store.sweep(later + 11) == 1 and len(store) == 0 and store.expired == 3
