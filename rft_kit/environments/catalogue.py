"""Hundreds of tools, discovered through ``search_tools`` and invoked through ``call_tool``.

An environment with a catalogue offers the model only a few tools in the row's ``tools`` (``search_tools``,
``call_tool`` and a handful of declared ones); the rest, its real tools plus a large set of plausible distractors,
are found by searching.

How the discovered tools are declared (a choice): the hosted agentic RFT protocol (Azure's ``method.reinforcement
.tools`` list, AGENTIC.md 2) and the chat-completions API both take a *fixed* list of tool declarations per
job/request, and models are trained to call only declared tools. A tool found at turn 5 cannot be added to the
declarations of a hosted job. So discovered tools are called through the declared dispatch tool
``call_tool({"name": ..., "arguments": {...}})``, which behaves exactly like calling the tool directly (same
validation, same error results). The environment also accepts a direct call of a catalogue tool by name (local
rollouts where a model does that), and the ``trajectory`` grader's ``unwrap: [call_tool]`` counts a dispatched call
as a call of the inner tool, so graders are written against the real tool names either way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

from .base import CATALOGUE_METHOD, Environment, ToolError, ToolResult, ToolSpec, compile_tool, tool

__all__ = ["DISPATCH_TOOLS", "CatalogueMixin", "rank_tools"]

DISPATCH_TOOLS = ("search_tools", "call_tool")
_WORD = re.compile(r"[a-z0-9]+")
MAX_RESULTS = 10


def _words(text: str) -> list[str]:
    """Lower-case word stems (a trailing plural ``s`` dropped) of a name or description."""
    out = []
    for word in _WORD.findall(text.lower().replace("_", " ")):
        out.append(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return out


def rank_tools(query: str, schemas: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The ``limit`` schemas that share the most words with ``query`` (name words count double); ties by name."""
    wanted = set(_words(query))
    scored = []
    for schema in schemas:
        function = schema["function"]
        name_words = set(_words(function["name"]))
        text_words = set(_words(function.get("description", "")))
        score = 2 * len(wanted & name_words) + len(wanted & text_words)
        if score:
            scored.append((-score, function["name"], function))
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    return [f for _, _, f in scored[:limit]]


@cache
def _compiled_catalogue(cls: type[CatalogueMixin]) -> dict[str, ToolSpec]:
    return {
        s["function"]["name"]: compile_tool(s["function"]["name"], CATALOGUE_METHOD, s) for s in cls.catalogue_schemas()
    }


class CatalogueMixin(Environment):
    """Adds ``search_tools`` and ``call_tool`` when the spec has ``"catalogue": {"declared": [tool names]}``.

    Subclasses implement :meth:`catalogue_schemas` (the distractor tools, as OpenAI function schemas) and
    :meth:`catalogue_call` (what a distractor does). Without a ``catalogue`` in the spec the two dispatch tools are
    neither offered nor callable.
    """

    catalogue_size: ClassVar[int] = 0

    @classmethod
    def catalogue_schemas(cls) -> list[dict[str, Any]]:
        """The distractor tools of the catalogue (fixed per class)."""
        return []

    @classmethod
    def _catalogue_specs(cls) -> dict[str, ToolSpec]:
        return _compiled_catalogue(cls)

    @classmethod
    def _declared(cls, spec: Mapping[str, Any] | None) -> list[str] | None:
        catalogue = (spec or {}).get("catalogue")
        if not isinstance(catalogue, Mapping):
            return None
        declared = catalogue.get("declared", [])
        return [str(name) for name in declared] if isinstance(declared, list) else []

    @classmethod
    def tool_schemas(cls, spec: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        everything = super().tool_schemas(spec)
        declared = cls._declared(spec)
        if declared is None:
            return [s for s in everything if s["function"]["name"] not in DISPATCH_TOOLS]
        keep = {*DISPATCH_TOOLS, *declared}
        return [s for s in everything if s["function"]["name"] in keep]

    def callable_tools(self) -> dict[str, ToolSpec]:
        cached: dict[str, ToolSpec] | None = getattr(self, "_callable", None)
        if cached is not None:
            return cached
        tools = dict(self._tool_specs())
        if self._declared(self.spec) is None:
            for name in DISPATCH_TOOLS:
                tools.pop(name, None)
        else:
            tools.update(self._catalogue_specs())
        self._callable = tools
        return tools

    def _searchable(self) -> list[dict[str, Any]]:
        return [s.schema for name, s in self.callable_tools().items() if name not in DISPATCH_TOOLS]

    @tool
    def search_tools(self, query: str, limit: int = 5) -> list[dict[str, Any]]:
        """Search the tool catalogue by what you want to do; returns matching tools with their parameters.

        Args:
            query: a few words describing the action, e.g. "refund items of an order".
            limit: how many tools to return (1-10).
        """
        found = rank_tools(query, self._searchable(), max(1, min(limit, MAX_RESULTS)))
        if not found:
            raise ToolError(f"no tool matches {query!r}; describe the action in other words")
        return [{"name": f["name"], "description": f["description"], "parameters": f["parameters"]} for f in found]

    @tool
    def call_tool(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Call a tool found with search_tools.

        Args:
            name: the tool's name, exactly as search_tools returned it.
            arguments: the tool's arguments as an object.
        """
        if name in DISPATCH_TOOLS:
            raise ToolError(f"call {name} directly, not through call_tool")
        return self.call(name, json.dumps(arguments))
