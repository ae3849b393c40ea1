"""Calibration as a gate: human-labelled cases and ``check.agreement`` in grader files.

A case may carry ``label:`` (a human verdict) instead of ``expect:``: a number (a score), ``pass``/``fail`` or a
boolean, or a category (compared with a ``label_model``'s label). Labelled cases are not pass/fail one by one: with
``check: {agreement: {metric: accuracy | kappa | spearman, minimum: 0.8}}`` ``rft check`` grades them all
(:func:`rft_kit.calibration.run.run_calibration`, thresholded at ``check.threshold``) and fails below the minimum,
naming the value and the worst disagreements. Labelled cases without ``check.agreement`` are reported (skip) with
their agreement; ``check.agreement`` without labelled cases is a config error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ..errors import ConfigError, InputError
from ..graders.base import Grader

__all__ = ["AGREEMENT_METRICS", "Agreement", "LabelledCase", "agreement_outcome", "parse_agreement", "parse_labelled"]

AGREEMENT_METRICS: Final = ("accuracy", "kappa", "spearman")


@dataclass(frozen=True)
class Agreement:
    """``check.agreement``: the metric and the minimum it must reach."""

    metric: str
    minimum: float


@dataclass(frozen=True)
class LabelledCase:
    """A case with a human label: ``{item, sample, label, name?}``."""

    index: int
    name: str
    item: dict[str, Any]
    sample: str | dict[str, Any]
    label: Any


def parse_agreement(raw: Any) -> Agreement | None:
    """``check.agreement``, validated.

    Raises:
        ConfigError: naming ``check.agreement`` and what is expected.
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"metric", "minimum"} or "minimum" not in raw:
        raise ConfigError("must be {metric: accuracy | kappa | spearman, minimum: NUMBER}", path="check.agreement")
    metric = raw.get("metric", "accuracy")
    minimum = raw["minimum"]
    if metric not in AGREEMENT_METRICS:
        raise ConfigError(
            f"metric must be one of {', '.join(AGREEMENT_METRICS)}, got {metric!r}", path="check.agreement.metric"
        )
    if not isinstance(minimum, int | float) or isinstance(minimum, bool):
        raise ConfigError(f"minimum must be a number, got {minimum!r}", path="check.agreement.minimum")
    return Agreement(str(metric), float(minimum))


def parse_labelled(raw: Any, *, source: str | None = None) -> list[LabelledCase]:
    """The labelled cases of a ``cases`` list (the ones with ``label``); :func:`~.cases.parse_cases` checks the rest.

    Raises:
        ConfigError: a case with both ``label`` and ``expect``, or a label that is not a number, string or boolean.
    """
    out: list[LabelledCase] = []
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(entry, Mapping) or "label" not in entry:
            continue
        where = f"cases[{i}]"
        if "expect" in entry:
            raise ConfigError(
                "a case has either expect (a golden case) or label (a human verdict), not both",
                path=where,
                source=source,
            )
        label = entry["label"]
        if not isinstance(label, int | float | str | bool):
            raise ConfigError(
                "label must be a number, pass/fail, a boolean or a category", path=f"{where}.label", source=source
            )
        item = entry.get("item", {})
        sample = entry.get("sample")
        if not isinstance(item, Mapping) or not isinstance(sample, str | Mapping):
            raise ConfigError("a labelled case needs an item object and a sample", path=where, source=source)
        out.append(
            LabelledCase(
                i, str(entry.get("name", "")), dict(item), sample if isinstance(sample, str) else dict(sample), label
            )
        )
    return out


def agreement_outcome(
    grader: Grader, cases: list[LabelledCase], agreement: Agreement | None, threshold: float
) -> tuple[Literal["pass", "fail", "skip"], str, str]:
    """``(status, message, fix)`` of the agreement check."""
    from ..calibration.run import run_calibration

    rows = [{"item": c.item, "sample": c.sample, "label": c.label} for c in cases]
    try:
        report = run_calibration(grader, rows, pass_threshold=threshold)
    except InputError as exc:
        return "fail", str(exc), "use one kind of label for every labelled case"
    metric = agreement.metric if agreement is not None else "accuracy"
    value = report.get(metric)
    shown = "n/a" if value is None else f"{value:.4g}"
    worst = "; ".join(
        f"{_case_label(cases[w['row']])}: human {w['human']!r}, judge {_judge(w['judge'])}"
        for w in report.get("worst_disagreements", [])
    )
    errors = f", {report['judge_errors']} judge error(s)" if report["judge_errors"] else ""
    message = f"{metric} = {shown} over {report['graded']} labelled case(s){errors}"
    if worst:
        message += f"; worst disagreements: {worst}"
    if agreement is None:
        return "skip", message + " (no check.agreement minimum set)", ""
    if not isinstance(value, int | float) or value < agreement.minimum:
        return (
            "fail",
            f"{message}; below the minimum {agreement.minimum:g}",
            "fix the judge prompt or criteria (or the labels, if a human was wrong); `rft calibrate` shows more",
        )
    return "pass", f"{message} (minimum {agreement.minimum:g})", ""


def _case_label(case: LabelledCase) -> str:
    return f"case {case.index} ({case.name})" if case.name else f"case {case.index}"


def _judge(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)
