"""The one place that lists the built-in environments.

Each entry maps an environment name to ``"module:Class"``; modules are imported lazily, the first time the name is
asked for. Third-party packages add environments through the ``rft_kit.environments`` entry-point group
(``name = "package.module:EnvironmentClass"``); entry points are only loaded when a lookup misses.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from typing import Any

from .base import Environment, EnvironmentFailure

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "build_environment", "environment_class", "known_environments"]

BUILTIN: dict[str, str] = {
    "support_store": "rft_kit.environments.support:SupportStore",
    "calendar": "rft_kit.environments.scheduling:CalendarEnv",
    "sql_analysis": "rft_kit.environments.sql_analysis:SqlAnalysis",
    "research": "rft_kit.environments.research:Research",
}
"""Built-in environments. Add one by writing its module and adding one line here."""

ENTRY_POINT_GROUP = "rft_kit.environments"


@cache
def _plugins() -> dict[str, str]:
    return {ep.name: ep.value for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.name not in BUILTIN}


def known_environments() -> list[str]:
    """Names of every environment: built-in and registered through entry points, sorted."""
    return sorted({*BUILTIN, *_plugins()})


@cache
def environment_class(name: str) -> type[Environment]:
    """The environment class registered as ``name``.

    Raises:
        EnvironmentFailure: unknown name (listing the known ones, with a did-you-mean), or an entry that does not
            name an :class:`Environment` subclass.
    """
    target = BUILTIN.get(name) if isinstance(name, str) else None
    if target is None and isinstance(name, str):
        target = _plugins().get(name)
    if target is None:
        known = known_environments()
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise EnvironmentFailure(f"unknown environment {name!r}{hint}; known environments: {', '.join(known)}")
    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise EnvironmentFailure(
            f"environment {name!r} is registered as {target!r}, which cannot be loaded: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Environment)):
        raise EnvironmentFailure(f"environment {name!r} ({target}) is not an Environment subclass")
    if getattr(cls, "name", None) != name:
        raise EnvironmentFailure(f"{target} declares name {getattr(cls, 'name', None)!r} but is registered as {name!r}")
    return cls


def build_environment(spec: Mapping[str, Any]) -> Environment:
    """A fresh environment for one episode, from a row's ``environment`` field.

    Raises:
        EnvironmentFailure: the spec is not an object, has no ``name``, names an unknown environment, or is
            rejected by the environment.
    """
    if not isinstance(spec, Mapping):
        raise EnvironmentFailure(f"a row's environment must be an object with a 'name', got {type(spec).__name__}")
    if "name" not in spec:
        raise EnvironmentFailure(
            f"a row's environment has no 'name'; known environments: {', '.join(known_environments())}"
        )
    return environment_class(spec["name"])(spec)
