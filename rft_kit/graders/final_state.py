"""``final_state`` (extension): compare an episode's final environment state with the expected one, per field.

Config::

    type: final_state
    expected: "{{item.expected_state}}"     # or an inline object
    credit: partial                          # share of fields that match (default), or all (1 or 0)

``expected`` maps paths into ``sample.final_state`` (the environment's ``snapshot()``) to the value each must have:
``{"orders.O-1042.status": "delivered", "refunds[0].amount_cents": 1999, "escalated_orders": ["O-7"]}``. Paths use
the template syntax (``.key``, ``[index]``, ``["quoted key"]``); values compare with JSON equality (``true`` is not
``1``, ``1`` is ``1.0``, lists are ordered). A path missing from the state is a mismatch, not an error. A sample
without a final state (not a rollout) is a ``parse`` error.

Export: refused. The hosted python grader sees ``output_text`` and ``output_tools`` only; the final state lives in
the tool server, so hosted jobs grade it through an ``endpoint`` grader that holds the episode by ``trace_id`` (the
serving issue). Use the ``trajectory`` grader for the part of the grade that exports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import ConfigError, GradeFailure
from ..records import GradeResult, Sample
from ..templating import Template, VarRef, compile_template, resolve
from ._trajectory_rules import same
from .base import Grader

__all__ = ["FinalStateGrader", "state_path"]

MAX_REPORTED = 20


def state_path(path: str, *, field: str = "expected") -> VarRef:
    """The reference of a path into the final state (``orders.O-1.status``, ``refunds[0]``, ``["a.b"]``).

    Raises:
        ConfigError: a malformed path.
    """
    if not isinstance(path, str) or not path.strip():
        raise ConfigError("a final-state path must be a non-empty string", path=field)
    joiner = "" if path.lstrip().startswith("[") else "."
    template = compile_template(f"{{{{sample.final_state{joiner}{path.strip()}}}}}", field=field)
    return template.refs[0]


class FinalStateGrader(Grader):
    """Per-field credit for the expected values at paths of ``sample.final_state``."""

    type: ClassVar[str] = "final_state"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        field = f"{path}.expected" if path else "expected"
        self.all_or_nothing = self._config.get("credit", "partial") == "all"
        expected = self._config["expected"]
        self.expected_from: VarRef | None = None
        self._templates: tuple[Template, ...] = ()
        self.expected: dict[str, Any] | None = None
        if isinstance(expected, str):
            template = compile_template(expected, field=field, options=self.render_options)
            if len(template.parts) != 1 or not template.refs or template.refs[0].namespace != "item":
                raise ConfigError(f"{expected!r} must be exactly one {{{{item.<key>}}}} reference", path=field)
            self.expected_from = template.refs[0]
            self._templates = (template,)
        else:
            for key in expected:
                state_path(key, field=f"{field}.{key}")
            self.expected = dict(expected)

    @property
    def templates(self) -> tuple[Template, ...]:
        return self._templates

    def _expected(self, item: Mapping[str, Any]) -> dict[str, Any]:
        if self.expected is not None:
            return self.expected
        assert self.expected_from is not None
        value = resolve(self.expected_from, {"item": item, "sample": {}}, self.render_options)
        if not isinstance(value, Mapping) or not value:
            raise GradeFailure(
                "config", "other_error", "the item's expected state must be a non-empty object of path: value"
            )
        return dict(value)

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        expected = self._expected(item)
        state = getattr(sample, "final_state", None)
        if not isinstance(state, Mapping):
            raise GradeFailure(
                "parse",
                "sample_parse_error",
                "the sample has no final_state: grade rollout samples (rft rollout), not single-turn outputs",
            )
        roots = {"sample": {"final_state": state}, "item": item}
        matched = 0
        report: list[dict[str, Any]] = []
        for key, want in expected.items():
            try:
                ref = state_path(str(key))
            except ConfigError as exc:
                raise GradeFailure("config", "other_error", f"the item's expected state: {exc}") from None
            try:
                got: Any = resolve(ref, roots, self.render_options)
                present = True
            except GradeFailure:
                got, present = None, False
            ok = present and same(got, want)
            matched += ok
            if not ok and len(report) < MAX_REPORTED:
                report.append({"path": key, "expected": want, "actual": got if present else "<missing>"})
        total = len(expected)
        reward = matched / total if not self.all_or_nothing else float(matched == total)
        return GradeResult(reward=reward, metadata={"fields": total, "matched": matched, "mismatches": report})

    def to_hosted(self) -> dict[str, Any]:
        raise ConfigError(
            "final_state cannot be exported to an OpenAI python grader: hosted python graders see only "
            "sample.output_text and sample.output_tools, not the environment's final state (it lives in the tool "
            "server); grade it through an endpoint grader keyed by trace_id, and export the trajectory grader",
            path=self.path or "type",
        )
