"""``--base-url local``: a local OpenAI-compatible server started in this process for the run's duration."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Final

from ..local_openai import LocalServer
from ..local_openai.simulated_solver import ensure_solver_route

__all__ = ["LOCAL", "endpoint"]

LOCAL: Final = "local"
"""The ``base_url`` that means: start the local server (SIMULATED agents and solvers) in this process."""


@contextlib.contextmanager
def endpoint(base_url: str | None) -> Iterator[str | None]:
    """``base_url`` itself, or, for ``"local"``, the URL of a local server running until the block ends.

    The local server's chat route answers the SIMULATED agents (``sim-agent-*``) and solver models (``sim-base``,
    ...); nothing leaves the machine.
    """
    if base_url != LOCAL:
        yield base_url
        return
    ensure_solver_route()
    with LocalServer() as server:
        yield server.base_url
