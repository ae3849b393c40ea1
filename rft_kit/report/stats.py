"""The statistics of an iteration report, as small pure functions (no I/O, no formatting).

* :func:`pass_at_k`: the unbiased estimator of Chen et al. (2021), ``1 - C(n-c, k) / C(n, k)`` for an item with
  ``n`` samples of which ``c`` pass; averaged over items by :func:`mean_pass_at_k`.
* :func:`mean_at_k`: the mean reward of the first ``k`` samples of each item, averaged over items.
* :func:`paired_bootstrap`: a percentile bootstrap confidence interval of the mean of per-item differences between
  two runs, resampling items (paired), with a fixed seed so reports are reproducible.
* :func:`histogram`: fixed-width bin counts over ``[low, high]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BootstrapInterval",
    "histogram",
    "mean_at_k",
    "mean_pass_at_k",
    "paired_bootstrap",
    "pass_at_k",
    "population_variance",
]


def pass_at_k(n: int, c: int, k: int) -> float:
    """The probability that at least one of ``k`` samples drawn without replacement from ``n`` passes, ``c`` passing.

    Computed as ``1 - prod_{i=n-c+1}^{n} (1 - k/i)``, equal to ``1 - C(n-c, k)/C(n, k)`` without huge binomials.

    Raises:
        ValueError: unless ``0 <= c <= n`` and ``1 <= k <= n``.
    """
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got n={n}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float | None:
    """Mean pass@k over items given ``(n, c)`` per item; items with fewer than ``k`` samples are left out.

    Returns:
        The mean, or ``None`` when no item has ``k`` samples.
    """
    values = [pass_at_k(n, c, k) for n, c in counts if n >= k]
    return sum(values) / len(values) if values else None


def mean_at_k(rewards_by_item: Mapping[str, Mapping[int, float]], k: int) -> float | None:
    """Mean over items of the mean reward of samples ``0 .. k-1``; items missing any of them are left out."""
    means = []
    for rewards in rewards_by_item.values():
        firsts = [rewards[i] for i in range(k) if i in rewards]
        if len(firsts) == k:
            means.append(sum(firsts) / k)
    return sum(means) / len(means) if means else None


def population_variance(values: Sequence[float]) -> float:
    """Variance with denominator ``len(values)`` (the spread of one item's samples, not an estimate)."""
    if not values:
        raise ValueError("variance of no values")
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


@dataclass(frozen=True)
class BootstrapInterval:
    """A mean difference with its percentile bootstrap interval.

    Attributes:
        mean: the observed mean of the differences.
        low, high: the interval bounds.
        n: how many paired items.
        confidence: e.g. 0.95.
        resamples: how many bootstrap resamples.
        seed: the generator seed.
    """

    mean: float
    low: float
    high: float
    n: int
    confidence: float
    resamples: int
    seed: int

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies entirely on one side of zero."""
        return self.low > 0 or self.high < 0

    def to_dict(self) -> dict[str, float | int | bool]:
        return {
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
            "excludes_zero": self.excludes_zero,
        }


def paired_bootstrap(
    differences: Sequence[float], *, resamples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> BootstrapInterval:
    """Percentile bootstrap interval of the mean of paired per-item differences.

    Draws ``resamples`` index vectors of length ``n`` at once with ``numpy.random.default_rng(seed).integers(0, n,
    size=(resamples, n))``, takes the mean of each resample, and returns the ``(1-confidence)/2`` and
    ``(1+confidence)/2`` quantiles (numpy's default linear interpolation).

    Raises:
        ValueError: no differences, or a confidence outside (0, 1).
    """
    if not differences:
        raise ValueError("the bootstrap needs at least one paired item")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    data = np.asarray(differences, dtype=float)
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, data.size, size=(resamples, data.size))
    means = data[indices].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return BootstrapInterval(
        mean=float(data.mean()),
        low=float(low),
        high=float(high),
        n=int(data.size),
        confidence=confidence,
        resamples=resamples,
        seed=seed,
    )


def histogram(values: Sequence[float], *, bins: int = 10, low: float = 0.0, high: float = 1.0) -> list[int]:
    """Counts of ``values`` in ``bins`` equal-width bins over ``[low, high]``; the last bin includes ``high``.

    Values outside the range are clipped into the first or last bin, so every value is counted.
    """
    if bins < 1 or not high > low:
        raise ValueError("need bins >= 1 and high > low")
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        # the epsilon keeps a value on a bin edge (0.3 with width 0.1) in the bin it starts, despite float error
        index = math.floor((value - low) / width + 1e-9)
        counts[min(bins - 1, max(0, index))] += 1
    return counts
