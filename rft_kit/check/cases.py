"""Golden cases carried by grader files: ``cases: [{item, sample, expect}]``.

Cases with ``label:`` (a human verdict) instead of ``expect`` are read by :mod:`rft_kit.check.agreement`.
``expect`` is a number (the reward must equal it, to 1e-9), a comparison string (``">= 0.9"``, ``"< 0.5"``,
``"== 1"``, ``"!= 0"``), or ``{error: KIND}`` (the grade must be an error of that kind, or with that hosted flag).
These key names are shared with the grader-file format, so files stay portable; ``cases`` is stripped on export.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..records import GradeResult

__all__ = ["Case", "Expectation", "parse_cases"]

_COMPARISON = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": lambda a, b: math.isclose(a, b, abs_tol=1e-9),
    "!=": lambda a, b: not math.isclose(a, b, abs_tol=1e-9),
}
EXACT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Expectation:
    """What a case expects: a reward comparison, or an error kind/flag."""

    op: str | None = None
    value: float | None = None
    error: str | None = None

    def describe(self) -> str:
        if self.error is not None:
            return f"error {self.error}"
        return f"reward {self.op} {self.value:g}"

    def holds(self, result: GradeResult) -> bool:
        if self.error is not None:
            return any(self.error in (e.kind, e.flag) for e in result.errors) and result.status == "error"
        if result.status == "error":
            return False
        assert self.op is not None
        assert self.value is not None
        return _OPS[self.op](result.reward, self.value)

    def expects_pass(self, threshold: float) -> bool:
        """Whether a reward meeting this expectation is at or above ``threshold`` (a must-pass case)."""
        if self.error is not None or self.value is None:
            return False
        return self.op in ("==", ">=", ">") and self.value >= threshold


@dataclass(frozen=True)
class Case:
    """One golden case: an item, a sample (text or sample object) and the expected outcome."""

    index: int
    name: str
    item: dict[str, Any]
    sample: str | dict[str, Any]
    expect: Expectation

    @property
    def label(self) -> str:
        return f"case {self.index} ({self.name})" if self.name else f"case {self.index}"


def _expectation(value: Any, where: str) -> Expectation:
    if isinstance(value, bool):
        raise ConfigError("expect must be a number, a comparison like '>= 0.9', or {error: KIND}", path=where)
    if isinstance(value, int | float):
        return Expectation("==", float(value))
    if isinstance(value, str):
        match = _COMPARISON.match(value)
        if match is None:
            raise ConfigError(
                f"expect {value!r} is not a comparison; write e.g. '>= 0.9', '< 0.5' or '== 1'", path=where
            )
        return Expectation(match.group(1), float(match.group(2)))
    if isinstance(value, Mapping) and set(value) == {"error"} and isinstance(value["error"], str):
        return Expectation(error=value["error"])
    raise ConfigError("expect must be a number, a comparison like '>= 0.9', or {error: KIND}", path=where)


def parse_cases(raw: Any, *, source: str | None = None) -> list[Case]:
    """Validate a ``cases`` list.

    Raises:
        ConfigError: naming ``cases[i].field`` and what is expected.
    """
    if not isinstance(raw, list):
        raise ConfigError("cases must be a list of {item, sample, expect}", path="cases", source=source)
    cases = []
    for i, entry in enumerate(raw):
        where = f"cases[{i}]"
        if not isinstance(entry, Mapping):
            raise ConfigError("a case must be an object {item, sample, expect}", path=where, source=source)
        if "label" in entry and "expect" not in entry:
            continue  # a human-labelled case (rft_kit.check.agreement)
        unknown = set(entry) - {"item", "sample", "expect", "name", "label"}
        if unknown:
            raise ConfigError(
                f"unknown key {sorted(unknown)[0]!r}; a case has item, sample, expect and optionally name",
                path=where,
                source=source,
            )
        for key in ("sample", "expect"):
            if key not in entry:
                raise ConfigError(f"missing required key '{key}'", path=where, source=source)
        item = entry.get("item", {})
        if not isinstance(item, Mapping):
            raise ConfigError("item must be an object", path=f"{where}.item", source=source)
        sample = entry["sample"]
        if not isinstance(sample, str | Mapping):
            raise ConfigError("sample must be a string or a sample object", path=f"{where}.sample", source=source)
        try:
            expect = _expectation(entry["expect"], f"{where}.expect")
        except ConfigError as exc:
            raise ConfigError(exc.detail, path=exc.path, source=source) from None
        cases.append(
            Case(
                i,
                str(entry.get("name", "")),
                dict(item),
                sample if isinstance(sample, str) else dict(sample),
                expect,
            )
        )
    return cases
