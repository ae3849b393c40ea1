"""The SIMULATED chat models, looked up by model name: the one place that says which model name is answered how.

A chat backend takes a ``/v1/chat/completions`` request body and returns the ``chat.completion`` object, or raises
:class:`~rft_kit.local_openai.errors.ApiError`. The chat route (:mod:`.routes.chat`) asks :func:`chat_backend`
for the backend of the requested model; to add a simulated model, write its module and add its names here.

* ``sim-weak``, ``sim-base``, ``sim-strong``: the SIMULATED solver (:mod:`.simulated_solver`), for sampling.
* ``sim-judge`` and stand-ins for OpenAI's grader model ids, each optionally with ``+behaviour`` flags: the
  SIMULATED judge (:mod:`.simulated_judge`), for model graders.
* ``sim-agent-oracle``, ``sim-agent-strong``, ``sim-agent-base`` (with ``+behaviour`` flags): the SIMULATED agents
  (:mod:`.sim_agents`), for multi-turn rollouts; they read ``rft_reference`` from the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from . import sim_agents, simulated_judge, simulated_solver
from .errors import ApiError

__all__ = ["CHAT_BACKENDS", "ChatBackend", "chat_backend", "is_solver_model"]

ChatBackend = Callable[[Mapping[str, Any]], dict[str, Any]]
"""A request body in, a ``chat.completion`` object out (or :class:`ApiError`)."""

CHAT_BACKENDS: Final[Mapping[str, ChatBackend]] = MappingProxyType(
    {
        **dict.fromkeys(simulated_solver.SOLVER_MODELS, simulated_solver.complete),
        **dict.fromkeys((simulated_judge.SIM_MODEL, *simulated_judge.MODEL_ALIASES), simulated_judge.complete),
        **dict.fromkeys(sim_agents.AGENT_MODELS, sim_agents.agent_reply),
    }
)
"""Base model name (before any ``+flag``) -> backend."""


def chat_backend(model: object) -> ChatBackend:
    """The backend answering ``model`` (``sim-judge+refuse`` is answered by the backend of ``sim-judge``).

    Raises:
        ApiError: 400 when ``model`` is not a non-empty string, 404 for a model no backend answers.
    """
    if not isinstance(model, str) or not model:
        raise ApiError(400, "'model' is required and must be a string.", param="model")
    backend = CHAT_BACKENDS.get(model.split("+", 1)[0])
    if backend is None:
        served = ", ".join(CHAT_BACKENDS)
        raise ApiError(
            404,
            f"The model `{model.split('+', 1)[0]}` does not exist on this local server. "
            f"Chat models (SIMULATED): {served}.",
            param="model",
            code="model_not_found",
        )
    return backend


def is_solver_model(model: object) -> bool:
    """Whether ``model`` names a SIMULATED solver model (which reads ``rft_simulation`` from the request)."""
    return isinstance(model, str) and CHAT_BACKENDS.get(model) is simulated_solver.complete
