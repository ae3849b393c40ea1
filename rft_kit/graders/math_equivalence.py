"""``math_equivalence`` (extension): the output's final answer is mathematically equal to the reference.

Uses Hugging Face's math-verify (LaTeX and plain expressions, boxed answers, sets, intervals, units, percentages;
SymPy comparison). math-verify's own timeouts rely on ``signal.alarm`` and fail off the main thread, so rft-kit runs
it in a killable helper process per grading process: the timeout works from threads and worker processes, and a
runaway SymPy computation is really stopped (a recorded ``timeout`` error, reward 0).

``require_anchor: true`` only accepts a marked final answer (``\\boxed{}`` or "final answer is"): without it, an
output that lists several candidates gets credit for whichever one math-verify's extraction prefers (``rft check``'s
``all_labels`` probe shows this).

Two guards keep math-verify from paying wrong answers (:mod:`rft_kit.graders._math_worker`): word answers must have
the same words (math-verify reads ``unsexlike`` as a product of symbols, equal to any anagram), and a reference
written as a plain comma list is ordered (``lists: unordered``, or a reference written as a set, lifts that).

Export to OpenAI is refused: math-verify is not in the hosted python-grader image (docs/hosted-semantics.md:
python). Use a ``numeric`` grader when the answers are numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import ConfigError, DependencyError, GradeFailure
from ..helper_process import KillableWorker, WorkerCrashed
from ..records import GradeResult, Sample
from ..templating import Template
from .base import Grader

__all__ = ["MathEquivalenceGrader"]

_WORKER = KillableWorker("rft_kit.graders._math_worker:verify_answer")


class MathEquivalenceGrader(Grader):
    """Reward 1.0 when math-verify finds the answer equivalent to the reference."""

    type: ClassVar[str] = "math_equivalence"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        try:
            import math_verify  # noqa: F401 - fail at load, not per sample
        except ImportError:
            raise DependencyError(
                "the math_equivalence grader needs math-verify: pip install 'rft-kit[math]'"
            ) from None
        self._config.setdefault("input", "{{sample.output_text}}")
        self.input: Template = self._template("input")
        self.reference: Template = self._template("reference")
        self.timeout_s: float = float(self._config.get("timeout_s", 5.0))
        self.float_rounding: int = int(self._config.get("float_rounding", 6))
        self.require_anchor: bool = bool(self._config.get("require_anchor", False))
        self.lists: str = str(self._config.get("lists", "ordered"))

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.input, self.reference)

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        ns = sample.namespace()
        reference = self.reference.render(ns, item)
        answer = self.input.render(ns, item)
        try:
            outcome = _WORKER.call(
                reference, answer, self.float_rounding, self.require_anchor, self.lists, timeout=self.timeout_s
            )
        except TimeoutError:
            raise GradeFailure("timeout", "other_error", f"math-verify took over {self.timeout_s:g} s") from None
        except (WorkerCrashed, RuntimeError) as exc:
            raise GradeFailure("internal", "other_error", f"math-verify failed: {exc}") from None
        if outcome["gold"] is None:
            raise GradeFailure("config", "other_error", f"the reference {reference[:80]!r} cannot be parsed as math")
        return GradeResult(reward=1.0 if outcome["equal"] else 0.0, metadata=outcome)

    def to_hosted(self) -> dict[str, Any]:
        raise ConfigError(
            "math_equivalence cannot be exported to OpenAI: math-verify is not in the hosted python-grader image; "
            "use a numeric grader for numeric answers, or keep this grader for open-source trainers",
            path=self.path or "type",
        )
