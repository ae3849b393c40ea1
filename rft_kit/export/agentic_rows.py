"""Checks shared by the agentic exports (Azure, verifiers, Bedrock): rows that carry ``tools`` and an ``environment``.

An agentic row (AGENTIC-CONTRACT) is ``{"messages", "tools", "environment": {"name", ...}, <reference fields>,
"oracle_plan"?}``. Every tool the row offers must be one its environment serves (a hosted trainer posts the call to
that tool's URL and the tool server runs it on the row's environment), and the row's ``tools`` should be exactly the
environment's ``tool_schemas(spec)`` (what the model is shown is what the server accepts).

:func:`oracle_episodes` plays each row's oracle plan directly against its environment: the episodes the exports grade
locally before writing anything (a reference that the oracle cannot reach is a broken row, not a hard task).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..environments import EnvironmentFailure, environment_class
from ..environments.episode import play, split_plan
from .issues import Issues

__all__ = ["check_agentic_row", "oracle_episodes", "row_tool_names", "tool_names_in_order"]


def row_tool_names(row: Mapping[str, Any]) -> list[str]:
    """The function names of a row's ``tools`` (malformed entries are skipped: :func:`check_row` reports them)."""
    names: list[str] = []
    for tool in row.get("tools") or []:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        name = function.get("name") if isinstance(function, Mapping) else None
        if isinstance(name, str):
            names.append(name)
    return names


def tool_names_in_order(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every tool name of the rows, in first-seen order."""
    return list(dict.fromkeys(name for row in rows for name in row_tool_names(row)))


def check_agentic_row(row: Any, where: str, issues: Issues) -> None:
    """Record what makes ``row`` unusable as an agentic task: no tools, no environment, a tool it does not serve."""
    if not isinstance(row, Mapping):
        return  # check_row reports it
    if not row_tool_names(row):
        issues.error(
            f"{where}: tools",
            "an agentic row needs a non-empty 'tools' list (the tools the model may call)",
            "generate the rows with an agentic template (rft generate support_desk ...) or add the environment's tools",
        )
    spec = row.get("environment")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
        issues.error(
            f"{where}: environment",
            "an agentic row needs an 'environment' object with a 'name' (the tool server builds the episode from it)",
            "add environment: {name: <one of rft_kit.environments.known_environments()>, ...}",
        )
        return
    try:
        cls = environment_class(spec["name"])
        offered = cls.tool_schemas(spec)
    except EnvironmentFailure as exc:
        issues.error(f"{where}: environment.name", str(exc))
        return
    served = {s["function"]["name"] for s in offered}
    for name in row_tool_names(row):
        if name not in served:
            issues.error(
                f"{where}: tools",
                f"tool {name!r} is not served by environment {spec['name']!r} (it serves {', '.join(sorted(served))})",
                "drop the tool from the row or use the environment that provides it",
            )
    if row.get("tools") != offered and set(row_tool_names(row)) <= served:
        issues.warn(
            f"{where}: tools",
            f"the row's tool schemas differ from what environment {spec['name']!r} declares; the model is shown "
            "one shape and the server validates another",
            "regenerate the row (its tools should equal the environment's tool_schemas)",
        )


def oracle_episodes(
    rows: Sequence[tuple[str, Mapping[str, Any]]], issues: Issues, *, limit: int
) -> list[tuple[str, Mapping[str, Any], dict[str, Any]]]:
    """``(where, row, episode)`` for up to ``limit`` rows that carry an ``oracle_plan`` (the plan played directly)."""
    out: list[tuple[str, Mapping[str, Any], dict[str, Any]]] = []
    for where, row in rows:
        if len(out) >= limit:
            break
        plan = row.get("oracle_plan")
        if not isinstance(plan, list) or not isinstance(row.get("environment"), Mapping):
            continue
        try:
            calls, answer = split_plan(plan)
            out.append((where, row, play(row["environment"], calls, answer)))
        except (EnvironmentFailure, KeyError, TypeError) as exc:
            issues.error(f"{where}: oracle_plan", f"the oracle plan cannot be played on the environment: {exc}")
    return out
