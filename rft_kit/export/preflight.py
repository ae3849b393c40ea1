"""Run the grader against the exported rows before anything is uploaded.

Two checks, both cheap next to a failed multi-hour job:

* every ``{{item.*}}`` variable of every grader template resolves on every row (a missing one is an
  ``invalid_variable_error`` and reward 0 on every sample of that row, hosted);
* the grader runs on a sample of rows with a neutral sample (the empty string): wrong answers are expected, but a
  config error, an internal error or a template error on the item side means the grader cannot work on these rows.

Graders that call a model are not run (no network and no cost here); their templates are still checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..errors import GradeFailure
from ..graders.base import Grader
from ..templating import resolve
from .issues import Issues

__all__ = ["MODEL_GRADER_TYPES", "check_grader_runs", "check_templates"]

MODEL_GRADER_TYPES: Final = frozenset({"score_model", "label_model", "rubric_judge"})
# Kinds that say the grader or the row is broken, whatever the model answers.
_BLOCKING_KINDS: Final = frozenset({"config", "internal"})


def _item_refs(grader: Grader) -> list[tuple[Any, Any]]:
    return [(t, ref) for t in grader.templates for ref in t.refs if ref.namespace == "item"]


def check_templates(grader: Grader, rows: Sequence[tuple[str, Mapping[str, Any]]], issues: Issues) -> None:
    """Record every row where an ``{{item.*}}`` variable does not resolve. ``rows`` are ``(where, row)`` pairs."""
    refs = _item_refs(grader)
    for where, row in rows:
        for template, ref in refs:
            try:
                resolve(ref, {"item": row}, template.options)
            except GradeFailure as exc:
                issues.error(where, exc.message, "add the field to the row or fix the template")


def _uses_model(grader: Grader) -> bool:
    if grader.type in MODEL_GRADER_TYPES:
        return True
    subs = getattr(grader, "graders", None)
    return isinstance(subs, Mapping) and any(_uses_model(g) for g in subs.values())


def check_grader_runs(
    grader: Grader, rows: Sequence[tuple[str, Mapping[str, Any]]], issues: Issues, *, sample_size: int = 20
) -> int:
    """Grade up to ``sample_size`` rows with an empty sample; returns how many rows were graded.

    Errors of kind ``config``/``internal``, and template errors on ``{{item.*}}``, are recorded as export errors.
    """
    if _uses_model(grader):
        issues.warn("grader", "contains a model grader; the local grading pass was skipped (no model calls on export)")
        return 0
    picked = list(rows[:sample_size])
    results = grader.grade_batch([""] * len(picked), [row for _, row in picked])
    for (where, _), result in zip(picked, results, strict=True):
        for err in result.errors:
            item_side = err.kind == "template" and err.message.startswith("{{item")
            if err.kind in _BLOCKING_KINDS or item_side:
                sub = f" (sub-grader {err.grader})" if err.grader else ""
                issues.error(f"{where}: grader{sub}", f"grading failed with a {err.kind} error: {err.message}")
    return len(picked)
