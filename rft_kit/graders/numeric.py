"""``numeric`` (extension): the final number in the output equals the reference within a tolerance.

Extraction (``extract``): ``final`` (default) takes ``\\boxed{...}``, else the number after the last ``answer:`` /
``answer is``, else the last number; ``last``, ``first`` and ``whole`` do what they say. Numbers may carry comma
thousands separators, exponents, fractions (``3/4``, ``\\frac{3}{4}``) and percent signs (``percent: number`` reads
``45%`` as 45, ``fraction`` as 0.45). Numbers compare exactly (fractions, not floats): an integer reference must be
met within ``abs_tol``; ``rel_tol`` only widens the match for fraction and decimal references. A reference holding
several numbers (``3, 5, 7``) is a list: the answer must give the same numbers in the same order.

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
        answer_text = self.input.render(ns, item)
        try:
            reward, metadata = _numbers.grade_numbers(
                answer_text, reference_text, self.extract, self.percent, self.abs_tol, self.rel_tol
            )
        except ValueError as exc:
            raise GradeFailure("config", "other_error", str(exc)) from None
        return GradeResult(reward=reward, metadata=metadata)

    def to_hosted(self) -> dict[str, Any]:
        """This grader as an OpenAI ``python`` grader running the same extraction and comparison code."""
        body = f"""
EXTRACT = {self.extract!r}
PERCENT = {self.percent!r}
ABS_TOL = {self.abs_tol!r}
REL_TOL = {self.rel_tol!r}


def grade(sample, item):
    reward, _ = grade_numbers({{INPUT:input}}, {{INPUT:reference}}, EXTRACT, PERCENT, ABS_TOL, REL_TOL)
    return reward
"""
        return python_grader_config(self, [_numbers], body, {"input": self.input, "reference": self.reference})
