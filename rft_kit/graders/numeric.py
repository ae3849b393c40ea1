"""``numeric`` (extension): the final number in the output equals the reference within a tolerance.

Extraction (``extract``): ``final`` (default) takes ``\\boxed{...}``, else the number after the last ``answer:`` /
``answer is``, else the last number; ``last``, ``first`` and ``whole`` do what they say. Numbers may carry comma
thousands separators, exponents, fractions (``3/4``, ``\\frac{3}{4}``) and percent signs (``percent: number`` reads
``45%`` as 45, ``fraction`` as 0.45). Equality is ``math.isclose(value, reference, rel_tol, abs_tol)``.

No number in the output is a wrong answer (reward 0, scored); a reference that is not a number is a per-sample
``config`` error. Exports to OpenAI as a ``python`` grader running the same extraction code
(:mod:`rft_kit.graders._numbers`, standard library only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import GradeFailure
from ..records import GradeResult, Sample
from ..templating import Template
from . import _numbers
from .base import Grader
from .hosted_source import python_grader_config

__all__ = ["NumericGrader"]


class NumericGrader(Grader):
    """Reward 1.0 when the extracted number matches the reference within ``abs_tol`` / ``rel_tol``."""

    type: ClassVar[str] = "numeric"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        self._config.setdefault("input", "{{sample.output_text}}")
        self.input: Template = self._template("input")
        self.reference: Template = self._template("reference")
        self.extract: str = self._config.get("extract", "final")
        self.percent: str = self._config.get("percent", "number")
        self.abs_tol: float = float(self._config.get("abs_tol", 1e-6))
        self.rel_tol: float = float(self._config.get("rel_tol", 1e-9))

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.input, self.reference)

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        ns = sample.namespace()
        reference_text = self.reference.render(ns, item)
        reference = _numbers.parse_number(reference_text, self.percent)
        if reference is None:
            reference = _numbers.extract_number(reference_text, "final", self.percent)
        if reference is None:
            raise GradeFailure(
                "config", "other_error", f"the reference {reference_text[:80]!r} is not a number; fix the item"
            )
        value = _numbers.extract_number(self.input.render(ns, item), self.extract, self.percent)
        if value is None:
            return GradeResult(reward=0.0, metadata={"extracted": None, "reference": reference, "reason": "no number"})
        hit = _numbers.numbers_match(value, reference, self.abs_tol, self.rel_tol)
        return GradeResult(reward=1.0 if hit else 0.0, metadata={"extracted": value, "reference": reference})

    def to_hosted(self) -> dict[str, Any]:
        """This grader as an OpenAI ``python`` grader running the same extraction code."""
        body = f"""
EXTRACT = {self.extract!r}
PERCENT = {self.percent!r}
ABS_TOL = {self.abs_tol!r}
REL_TOL = {self.rel_tol!r}


def grade(sample, item):
    reference_text = {{INPUT:reference}}
    reference = parse_number(reference_text, PERCENT)
    if reference is None:
        reference = extract_number(reference_text, "final", PERCENT)
    if reference is None:
        raise ValueError("the reference is not a number")
    value = extract_number({{INPUT:input}}, EXTRACT, PERCENT)
    if value is None:
        return 0.0
    return 1.0 if numbers_match(value, reference, ABS_TOL, REL_TOL) else 0.0
"""
        return python_grader_config(self, [_numbers], body, {"input": self.input, "reference": self.reference})
