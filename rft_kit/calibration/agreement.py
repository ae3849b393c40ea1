"""Agreement statistics between a judge and human labels, and the judge's self-consistency (numpy only).

Conventions, chosen where textbooks leave a choice:

* Cohen's kappa is ``(p_o - p_e) / (1 - p_e)`` over the union of categories seen; when ``p_e == 1`` (both raters
  used one and the same category throughout) it is undefined and reported as ``nan``.
* Spearman's rho is Pearson's r of average ranks (ties share the mean of their ranks); ``nan`` when either side is
  constant.
* Self-consistency over ``k`` repeats of the same rows: ``mean_variance`` is the mean over rows of the population
  variance of the row's ``k`` scores; ``flip_rate`` is the share of rows whose categorical verdict is not the same in
  every repeat.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "accuracy",
    "cohen_kappa",
    "confusion_matrix",
    "flip_rate",
    "mean_absolute_error",
    "mean_variance",
    "rank_average",
    "spearman",
]


def _check(a: Sequence[Any], b: Sequence[Any]) -> None:
    if len(a) != len(b):
        raise ValueError(f"the two sequences differ in length ({len(a)} != {len(b)})")
    if not a:
        raise ValueError("the statistics need at least one pair")


def accuracy(judge: Sequence[Hashable], human: Sequence[Hashable]) -> float:
    """Share of pairs where the judge's category equals the human's.

    Raises:
        ValueError: empty input or different lengths (also for every function below).
    """
    _check(judge, human)
    return sum(j == h for j, h in zip(judge, human, strict=True)) / len(judge)


def cohen_kappa(judge: Sequence[Hashable], human: Sequence[Hashable]) -> float:
    """Cohen's kappa of two raters over the same items (``nan`` when chance agreement is 1)."""
    _check(judge, human)
    n = len(judge)
    categories = list(dict.fromkeys([*human, *judge]))
    observed = accuracy(judge, human)
    expected = sum((list(judge).count(c) / n) * (list(human).count(c) / n) for c in categories)
    if math.isclose(expected, 1.0):
        return math.nan
    return (observed - expected) / (1.0 - expected)


def rank_average(values: Sequence[float]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """1-based ranks; tied values share the mean of the ranks they span."""
    data = np.asarray(values, dtype=np.float64)
    order = np.argsort(data, kind="mergesort")
    ranks = np.empty(len(data), dtype=np.float64)
    sorted_values = data[order]
    start = 0
    while start < len(data):
        end = start
        while end + 1 < len(data) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def spearman(judge: Sequence[float], human: Sequence[float]) -> float:
    """Spearman's rank correlation (``nan`` when either side is constant)."""
    _check(judge, human)
    a, b = rank_average(judge), rank_average(human)
    a, b = a - a.mean(), b - b.mean()
    denominator = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
    if denominator == 0.0:
        return math.nan
    return float(np.dot(a, b)) / denominator


def mean_absolute_error(judge: Sequence[float], human: Sequence[float]) -> float:
    """Mean of ``|judge - human|``."""
    _check(judge, human)
    return float(np.mean(np.abs(np.asarray(judge, dtype=np.float64) - np.asarray(human, dtype=np.float64))))


def confusion_matrix(judge: Sequence[Hashable], human: Sequence[Hashable]) -> dict[str, dict[str, int]]:
    """``{human category: {judge category: count}}`` over every category seen (zeros included)."""
    _check(judge, human)
    categories = [str(c) for c in dict.fromkeys([*human, *judge])]
    matrix = {h: dict.fromkeys(categories, 0) for h in categories}
    for j, h in zip(judge, human, strict=True):
        matrix[str(h)][str(j)] += 1
    return matrix


def mean_variance(repeats: Sequence[Sequence[float]]) -> float:
    """Mean over rows of the population variance of each row's repeated scores (rows are ``repeats[i]``)."""
    if not repeats:
        raise ValueError("no rows")
    return float(np.mean([np.var(np.asarray(row, dtype=np.float64)) for row in repeats]))


def flip_rate(repeats: Sequence[Sequence[Hashable]]) -> float:
    """Share of rows whose repeated categorical verdicts are not all the same."""
    if not repeats:
        raise ValueError("no rows")
    return sum(len(set(row)) > 1 for row in repeats) / len(repeats)
