"""``POST /v1/chat/completions`` (non-streaming), answered by the SIMULATED backend that
:mod:`rft_kit.local_openai.backends` names for the requested model.

Beside the server-wide fault injection (latency, fail-first-N, Retry-After), the route keeps its own controls and
counters (:func:`chat_controls`): ``think_s`` sleeps *inside* the handler, so requests overlap there and
``max_in_flight`` measures how many a client really had open at once (the fault latency runs before dispatch).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..backends import chat_backend
from ..errors import ApiError
from ..state import ServerState
from .base import Request, Response

__all__ = ["ChatControls", "chat_completions", "chat_controls"]

_ATTR = "_rft_kit_chat_controls"
_CREATE_LOCK = threading.Lock()


@dataclass
class ChatControls:
    """Per-server settings and counters of the chat route (thread-safe).

    Attributes:
        think_s: seconds each completion sleeps inside the handler (counted as in flight).
    """

    think_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _in_flight: int = field(default=0, init=False)
    _max_in_flight: int = field(default=0, init=False)
    _completions: int = field(default=0, init=False)

    @property
    def max_in_flight(self) -> int:
        """The most completions handled at the same time since the last :meth:`reset`."""
        with self._lock:
            return self._max_in_flight

    @property
    def completions(self) -> int:
        """Completions answered with HTTP 200 since the last :meth:`reset`."""
        with self._lock:
            return self._completions

    def reset(self, *, think_s: float = 0.0) -> None:
        """Zero the counters and set ``think_s``."""
        with self._lock:
            self.think_s = think_s
            self._max_in_flight = self._in_flight
            self._completions = 0

    def _enter(self) -> float:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            return self.think_s

    def _leave(self, answered: bool) -> None:
        with self._lock:
            self._in_flight -= 1
            self._completions += answered


def chat_controls(state: ServerState) -> ChatControls:
    """The chat route's controls of one server (``LocalServer.state``), created on first use."""
    with _CREATE_LOCK:
        controls: ChatControls | None = getattr(state, _ATTR, None)
        if controls is None:
            controls = ChatControls()
            # ServerState invites routes to hang their shared objects on it; this one is created lazily.
            setattr(state, _ATTR, controls)
    return controls


def chat_completions(state: ServerState, request: Request) -> Response:
    """Answer one chat completion with the SIMULATED backend of the requested model."""
    body = request.body
    if body.get("stream"):
        raise ApiError(400, "stream=true is not supported by this local server.", param="stream")
    backend = chat_backend(body.get("model"))
    controls = chat_controls(state)
    think_s = controls._enter()
    answered = False
    try:
        if think_s:
            time.sleep(think_s)
        payload = backend(body)
        answered = True
        return Response(payload)
    finally:
        controls._leave(answered)
