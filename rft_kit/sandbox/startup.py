"""What every sandbox process (fork-server, candidate pool) does from its config when it starts."""

from __future__ import annotations

import base64
import contextlib
import importlib
import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing into every candidate (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["pin", "preload", "seccomp_program"]


def pin(config: dict[str, Any]) -> None:
    """Pin this process (and all it forks) to the config's CPUs. Pinning is an optimisation: a CPU that went offline,
    or a refusal, must not keep the worker from starting."""
    if config.get("cpus"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, config["cpus"])


def preload(names: list[str] | None) -> tuple[list[str], dict[str, str]]:
    """Import ``names`` once, so that forked jobs find them loaded; returns (imported, {name: why not})."""
    loaded: list[str] = []
    errors: dict[str, str] = {}
    for name in names or ():
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"
    return loaded, errors


def seccomp_program(config: dict[str, Any]) -> bytes | None:
    """The seccomp filter compiled on the host (see :mod:`rft_kit.sandbox.seccomp`), or ``None`` without one."""
    encoded = config.get("seccomp_bpf")
    return base64.b64decode(encoded) if encoded else None
