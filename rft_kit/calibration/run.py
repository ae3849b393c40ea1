"""Compare a grader (usually a judge) with human labels, and measure how consistent it is with itself.

Rows are ``{item, sample, label}``. The kind of ``label`` decides the comparison:

* a string other than pass/fail: a *category*, compared with the judge's label (``metadata.label`` of a
  ``label_model``);
* ``true`` / ``false`` / ``"pass"`` / ``"fail"``: pass-fail, compared with ``reward >= pass_threshold``;
* a number: a *score*, compared with the reward (mean absolute error, Spearman) and, thresholded at
  ``pass_threshold`` on both sides, as pass-fail.

Rows the judge could not grade (``status: error``) are left out of the agreement statistics and counted.
With ``repeats > 1`` every repeat bypasses the cache read (``cache_mode: refresh``), so each is a fresh call, and a
judge that shuffles what it shows (``ranking_judge``) gets a new shuffle seed per repeat: the flip rate then also
measures how much its verdicts depend on the order. Pairwise judges add ``position_consistency`` (the share of graded
rows whose verdict did not flip with the order). ``worst_disagreements`` lists the rows where judge and human
differ most (score labels: by absolute difference; categories: every mismatch), at most 5.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Any, Final

from ..errors import InputError
from ..graders.base import Grader
from ..graders.judge_base import JudgeGrader
from ..records import GradeResult
from . import agreement as stats

__all__ = ["LOWER_IS_BETTER", "check_thresholds", "run_calibration"]

LOWER_IS_BETTER: Final = frozenset({"mae", "mean_variance", "flip_rate", "judge_errors"})
_PASS: Final = {"pass": True, "fail": False}


def _judges(grader: Grader) -> Iterator[JudgeGrader]:
    if isinstance(grader, JudgeGrader):
        yield grader
    for sub in getattr(grader, "graders", {}).values():
        yield from _judges(sub)


def _label_kind(labels: Sequence[Any]) -> str:
    kinds = set()
    for label in labels:
        if isinstance(label, bool) or (isinstance(label, str) and label.lower() in _PASS):
            kinds.add("pass_fail")
        elif isinstance(label, int | float):
            kinds.add("score")
        elif isinstance(label, str):
            kinds.add("label")
        else:
            raise InputError(f"a label must be a string, a number or a boolean, got {label!r}")
    if len(kinds) != 1:
        raise InputError(f"labels mix kinds ({', '.join(sorted(kinds))}); use one kind for every row")
    return kinds.pop()


def _human_category(label: Any, kind: str, threshold: float) -> Hashable:
    if kind == "label":
        return str(label)
    if kind == "pass_fail":
        passed = label if isinstance(label, bool) else _PASS[str(label).lower()]
        return "pass" if passed else "fail"
    return "pass" if float(label) >= threshold else "fail"


def _judge_category(result: GradeResult, kind: str, threshold: float) -> Hashable:
    if kind == "label":
        label = result.metadata.get("label")
        if not isinstance(label, str):
            raise InputError("the labels are categories but the grader gives no label; use a label_model grader")
        return label
    return "pass" if result.reward >= threshold else "fail"


def _clean(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def run_calibration(
    grader: Grader,
    rows: Sequence[Mapping[str, Any]],
    *,
    repeats: int = 1,
    pass_threshold: float = 0.5,
) -> dict[str, Any]:
    """Grade every row ``repeats`` times and compare with its human label; returns a JSON-ready report.

    Raises:
        InputError: no rows, mixed label kinds, or category labels for a grader that gives no label.
        ValueError: ``repeats < 1``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if not rows:
        raise InputError("no labelled rows to calibrate against")
    labels: list[Any] = [row.get("label") for row in rows]
    kind = _label_kind(labels)
    if repeats > 1:
        for judge in _judges(grader):
            judge.cache_mode = "refresh"
    samples = [row.get("sample", "") for row in rows]
    items = [row.get("item") or {} for row in rows]
    runs = []
    seeded = [j for j in _judges(grader) if isinstance(getattr(j, "seed", None), int)]
    base_seeds = [getattr(j, "seed") for j in seeded]  # noqa: B009 - only judges that shuffle have one
    try:
        for repeat in range(repeats):
            for judge, seed in zip(seeded, base_seeds, strict=True):
                judge.seed = seed + repeat  # type: ignore[attr-defined]
            runs.append(grader.grade_batch(samples, items))
    finally:
        for judge, seed in zip(seeded, base_seeds, strict=True):
            judge.seed = seed  # type: ignore[attr-defined]
    first = runs[0]
    ok = [n for n, result in enumerate(first) if result.ok]
    report: dict[str, Any] = {
        "rows": len(rows),
        "graded": len(ok),
        "judge_errors": len(rows) - len(ok),
        "label_kind": kind,
        "pass_threshold": pass_threshold if kind != "label" else None,
        "repeats": repeats,
    }
    if ok:
        judge_cat = [_judge_category(first[n], kind, pass_threshold) for n in ok]
        human_cat = [_human_category(labels[n], kind, pass_threshold) for n in ok]
        report["accuracy"] = _clean(stats.accuracy(judge_cat, human_cat))
        report["kappa"] = _clean(stats.cohen_kappa(judge_cat, human_cat))
        report["confusion"] = stats.confusion_matrix(judge_cat, human_cat)
        if kind == "score":
            judged = [first[n].reward for n in ok]
            human = [float(labels[n]) for n in ok]
            report["mae"] = _clean(stats.mean_absolute_error(judged, human))
            report["spearman"] = _clean(stats.spearman(judged, human))
            gaps = sorted(ok, key=lambda n: -abs(first[n].reward - float(labels[n])))
            worst = [n for n in gaps if abs(first[n].reward - float(labels[n])) > 1e-9]
        else:
            worst = [n for n, j, h in zip(ok, judge_cat, human_cat, strict=True) if j != h]
        report["worst_disagreements"] = [
            {
                "row": n,
                "human": labels[n],
                "judge": first[n].reward if kind != "label" else first[n].metadata.get("label"),
            }
            for n in worst[:5]
        ]
        flagged = [first[n].metadata.get("position_inconsistent") for n in ok]
        if any(isinstance(f, bool) for f in flagged):
            report["position_consistency"] = _clean(sum(f is False for f in flagged) / len(flagged))
    consistent = [n for n in range(len(rows)) if all(run[n].ok for run in runs)]
    if repeats > 1 and consistent:
        report["mean_variance"] = _clean(stats.mean_variance([[run[n].reward for run in runs] for n in consistent]))
        report["flip_rate"] = _clean(
            stats.flip_rate([[_judge_category(run[n], kind, pass_threshold) for run in runs] for n in consistent])
        )
    ledgers = [judge.ledger.snapshot() for judge in _judges(grader)]
    report["judge_tokens"] = sum(ledger["tokens"] for ledger in ledgers)
    return report


def check_thresholds(report: Mapping[str, Any], thresholds: Mapping[str, float]) -> list[str]:
    """Failed ``METRIC=VALUE`` checks, in words (empty when all pass).

    Higher is better except for :data:`LOWER_IS_BETTER`; a metric the report lacks (or ``null``) fails.
    """
    failures: list[str] = []
    for metric, bound in thresholds.items():
        value = report.get(metric)
        if not isinstance(value, int | float):
            failures.append(f"{metric} is not available in this report (needs {bound})")
        elif metric in LOWER_IS_BETTER and value > bound:
            failures.append(f"{metric} = {value:g} is above the threshold {bound:g}")
        elif metric not in LOWER_IS_BETTER and value < bound:
            failures.append(f"{metric} = {value:g} is below the threshold {bound:g}")
    return failures
