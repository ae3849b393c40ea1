"""``trajectory`` (extension): grade what an agent *did*: the tool calls of an episode, in order.

Config::

    type: trajectory
    required:  [{name: refund_items, arguments: {order_id: O-1, skus: {set_eq: [TEE-M]}}, min: 1, max: 1}]
    forbidden: [{name: refund_items, arguments: {order_id: O-2}}]
    order:     [{before: {name: find_customer}, after: {name: refund_items}}]
    budget:    {max_calls: 12, max_identical: 3}
    unwrap:    [call_tool]        # dispatch tools looked through (call_tool({"name", "arguments"}) = that call)
    credit:    partial            # or all

Each of ``required``, ``forbidden``, ``order`` and ``budget`` is either the literal value or a template that is
exactly one ``{{item.<key>}}`` (per-item rules carried by the row). Argument predicates: a literal (JSON equality), or
one of ``eq ne in contains icontains set_eq regex gt gte lt lte exists len``. A forbidden call or a broken budget
gives 0; otherwise the reward is the share of required and order checks that pass (``credit: all``: 1 or 0). The
rules are :mod:`rft_kit.graders._trajectory_rules`.

Reads ``sample.output_tools`` (every call of the episode in the hosted ``tool_calls`` shape), so it works the same on
rollout samples and single-turn tool-calling samples. Exports to OpenAI as a ``python`` grader over
``sample.output_tools`` running the same rules module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import ConfigError, GradeFailure
from ..records import GradeResult, Sample
from ..templating import Template, VarRef, compile_template, resolve
from . import _trajectory_rules
from .base import Grader
from .hosted_source import python_grader_config

__all__ = ["TrajectoryGrader"]

RULE_KEYS = ("required", "forbidden", "order", "budget")


class TrajectoryGrader(Grader):
    """Required calls with argument predicates, forbidden calls, order constraints and a call budget."""

    type: ClassVar[str] = "trajectory"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        self.literal: dict[str, Any] = {}
        self.from_item: dict[str, VarRef] = {}
        self._template_of: dict[str, Template] = {}
        for key in RULE_KEYS:
            if key not in self._config:
                continue
            value = self._config[key]
            field = f"{path}.{key}" if path else key
            if isinstance(value, str):
                template = compile_template(value, field=field, options=self.render_options)
                if len(template.parts) != 1 or not template.refs or template.refs[0].namespace != "item":
                    raise ConfigError(
                        f"{value!r} must be exactly one {{{{item.<key>}}}} reference (or the literal rules)",
                        path=field,
                    )
                self.from_item[key] = template.refs[0]
                self._template_of[key] = template
            else:
                self.literal[key] = value
        self.literal["unwrap"] = list(self._config.get("unwrap", []))
        self.literal["credit"] = self._config.get("credit", "partial")
        try:  # literal rules are checked once, at load
            _trajectory_rules.evaluate([], self.literal)
        except ValueError as exc:
            raise ConfigError(f"invalid trajectory rules: {exc}", path=path or "type") from None

    @property
    def templates(self) -> tuple[Template, ...]:
        return tuple(self._template_of.values())

    def _rules(self, item: Mapping[str, Any]) -> dict[str, Any]:
        rules = dict(self.literal)
        for key, ref in self.from_item.items():
            rules[key] = resolve(ref, {"item": item, "sample": {}}, self.render_options)
        return rules

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        rules = self._rules(item)
        try:
            reward, details = _trajectory_rules.evaluate(sample.output_tools, rules)
        except ValueError as exc:
            raise GradeFailure("config", "other_error", f"the item's trajectory rules are invalid: {exc}") from None
        return GradeResult(reward=reward, metadata=details)

    def to_hosted(self) -> dict[str, Any]:
        """This grader as an OpenAI ``python`` grader over ``sample.output_tools`` (same rules module)."""
        from_item = {key: [ref.namespace, list(ref.path)] for key, ref in self.from_item.items()}
        body = f"""
RULES = _json.loads({json.dumps(json.dumps(self.literal))})
FROM_ITEM = _json.loads({json.dumps(json.dumps(from_item))})


def grade(sample, item):
    rules = dict(RULES)
    for key, (namespace, path) in FROM_ITEM.items():
        rules[key] = _resolve(namespace, path, sample, item)
    return evaluate(sample.get("output_tools") or [], rules)[0]
"""
        return python_grader_config(self, [_trajectory_rules], body, {})
