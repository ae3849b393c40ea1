"""``POST /v1/chat/completions`` (non-streaming), answered by the SIMULATED model of
:mod:`rft_kit.local_openai.simulated`.

Beside the server-wide fault injection (latency, fail-first-N, Retry-After), the route keeps its own controls and
counters (:func:`chat_controls`): ``think_s`` sleeps *inside* the handler, so requests overlap there and
``max_in_flight`` measures how many a client really had open at once (the fault latency runs before dispatch).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError
from ..sim_agents import agent_reply, is_agent_model
from ..simulated import SimulatedReply, SimulationRejected, simulate_chat
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


def _payload(model: str, reply: SimulatedReply, request_body: Any) -> dict[str, Any]:
    digest = hashlib.sha256(json.dumps(request_body, sort_keys=True, default=str).encode()).hexdigest()[:24]
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": reply.refusal}
    return {
        "id": f"chatcmpl-sim-{digest}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "system_fingerprint": "rft-kit-simulated",
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
    }


def chat_completions(state: ServerState, request: Request) -> Response:
    """Answer one chat completion with the SIMULATED model; see :mod:`rft_kit.local_openai.simulated`."""
    body = request.body
    if body.get("stream"):
        raise ApiError(400, "stream=true is not supported by this local server.", param="stream")
    if body.get("n") not in (None, 1):
        raise ApiError(400, "this local server answers n=1 only.", param="n")
    controls = chat_controls(state)
    think_s = controls._enter()
    answered = False
    try:
        if think_s:
            time.sleep(think_s)
        if is_agent_model(body.get("model")):  # the SIMULATED agents of rollouts (sim_agents.py)
            payload = agent_reply(body)
            answered = True
            return Response(payload)
        try:
            reply = simulate_chat(body)
        except SimulationRejected as exc:
            raise ApiError(exc.status, exc.message, param=exc.param, code=exc.code) from None
        answered = True
        return Response(_payload(str(body["model"]), reply, body))
    finally:
        controls._leave(answered)
