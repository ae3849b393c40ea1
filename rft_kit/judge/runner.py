"""The sync facade: a private event loop in a background thread runs the async engine for sync graders.

One loop thread per process, started on first use; a forked child starts its own (the parent's thread does not
exist there). Graders keep nothing of this in their pickles: they reach it through :func:`run` and
:func:`engine_for`.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from .engine import EngineSettings, JudgeEngine

__all__ = ["engine_for", "run"]

T = TypeVar("T")

_LOCK = threading.Lock()
_ENGINES: dict[EngineSettings, JudgeEngine] = {}


class _Runtime:
    """The process's loop and its thread (``pid`` tells a forked child that they are not its own)."""

    pid = 0
    loop: asyncio.AbstractEventLoop | None = None
    thread: threading.Thread | None = None


def _loop() -> asyncio.AbstractEventLoop:
    with _LOCK:
        if _Runtime.loop is None or _Runtime.pid != os.getpid():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="rft-kit-judge-loop", daemon=True)
            thread.start()
            _Runtime.pid, _Runtime.loop, _Runtime.thread = os.getpid(), loop, thread
            _ENGINES.clear()  # engines hold clients bound to the old loop (or the parent's sockets)
        return _Runtime.loop


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the judge loop and wait for its result.

    Raises:
        RuntimeError: when called from the judge loop itself (it would wait for itself forever).
        Exception: whatever ``coro`` raises.
    """
    loop = _loop()
    if _Runtime.thread is threading.current_thread():
        coro.close()
        raise RuntimeError("rft_kit.judge.run() was called from the judge event loop; await the engine instead")
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


def engine_for(settings: EngineSettings) -> JudgeEngine:
    """The process's engine for ``settings``, created on first use."""
    _loop()
    with _LOCK:
        engine = _ENGINES.get(settings)
        if engine is None:
            engine = _ENGINES[settings] = JudgeEngine(settings)
        return engine
