"""The report statistics against values computed by hand or independently."""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
import pytest

from rft_kit.report.stats import (
    histogram,
    mean_at_k,
    mean_pass_at_k,
    paired_bootstrap,
    pass_at_k,
    population_variance,
)


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (4, 1, 1, 0.25),  # one of four passes: a single draw passes a quarter of the time
        (4, 1, 2, 0.5),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
        (4, 2, 2, 5 / 6),  # 1 - C(2,2)/C(4,2) = 1 - 1/6
        (5, 2, 3, 0.9),  # 1 - C(3,3)/C(5,3) = 1 - 1/10
        (10, 3, 5, 11 / 12),  # 1 - C(7,5)/C(10,5) = 1 - 21/252
        (4, 0, 4, 0.0),
        (4, 4, 1, 1.0),
        (3, 1, 3, 1.0),  # n - c < k: every draw of three contains the pass
    ],
)
def test_pass_at_k_hand_computed(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_matches_the_binomial_formula_and_enumeration() -> None:
    for n in range(1, 9):
        for c in range(n + 1):
            for k in range(1, n + 1):
                formula = 1 - comb(n - c, k) / comb(n, k)
                # enumerate every k-subset of n samples, the first c passing
                subsets = list(itertools.combinations(range(n), k))
                enumerated = sum(any(i < c for i in s) for s in subsets) / len(subsets)
                assert pass_at_k(n, c, k) == pytest.approx(formula, abs=1e-12)
                assert formula == pytest.approx(enumerated, abs=1e-12)


@pytest.mark.parametrize(("n", "c", "k"), [(3, 4, 1), (3, -1, 1), (3, 1, 0), (3, 1, 4)])
def test_pass_at_k_rejects_impossible_counts(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError, match="need"):
        pass_at_k(n, c, k)


def test_mean_pass_at_k_leaves_out_items_with_too_few_samples() -> None:
    counts = [(4, 1), (4, 4), (1, 0)]
    assert mean_pass_at_k(counts, 1) == pytest.approx((0.25 + 1.0 + 0.0) / 3)
    assert mean_pass_at_k(counts, 2) == pytest.approx((0.5 + 1.0) / 2)
    assert mean_pass_at_k([(1, 1)], 2) is None


def test_mean_at_k_averages_the_first_k_samples_of_complete_items() -> None:
    rewards = {"a": {0: 1.0, 1: 0.0, 2: 0.5}, "b": {0: 0.5, 1: 0.5}, "c": {1: 1.0}}
    assert mean_at_k(rewards, 1) == pytest.approx((1.0 + 0.5) / 2)  # "c" lacks sample 0
    assert mean_at_k(rewards, 2) == pytest.approx((0.5 + 0.5) / 2)
    assert mean_at_k(rewards, 3) == pytest.approx(0.5)
    assert mean_at_k(rewards, 4) is None


def test_population_variance() -> None:
    assert population_variance([1.0, 0.0, 1.0, 0.0]) == pytest.approx(0.25)
    assert population_variance([0.7, 0.7]) == 0.0
    with pytest.raises(ValueError, match="no values"):
        population_variance([])


def test_paired_bootstrap_matches_an_independent_numpy_computation() -> None:
    diffs = [0.5, -0.25, 0.0, 1.0, 0.25, 0.75, -0.5, 0.0, 0.25, 0.5]
    result = paired_bootstrap(diffs, resamples=5000, confidence=0.95, seed=123)
    # the same procedure written out longhand: resample items with replacement, one resample at a time
    rng = np.random.default_rng(123)
    draws = rng.integers(0, len(diffs), size=(5000, len(diffs)))
    means = np.array([np.mean([diffs[j] for j in row]) for row in draws])
    assert result.mean == pytest.approx(np.mean(diffs))
    assert result.low == pytest.approx(np.percentile(means, 2.5))
    assert result.high == pytest.approx(np.percentile(means, 97.5))
    assert result.low < result.mean < result.high
    assert (result.n, result.resamples, result.seed, result.confidence) == (10, 5000, 123, 0.95)


def test_paired_bootstrap_is_reproducible_and_seed_dependent() -> None:
    diffs = [0.1 * i for i in range(-5, 12)]
    first = paired_bootstrap(diffs, seed=7)
    assert paired_bootstrap(diffs, seed=7) == first
    assert paired_bootstrap(diffs, seed=8) != first


def test_paired_bootstrap_of_constant_differences_collapses_to_the_constant() -> None:
    result = paired_bootstrap([0.2] * 9)
    assert (result.low, result.mean, result.high) == pytest.approx((0.2, 0.2, 0.2))
    assert result.excludes_zero


def test_paired_bootstrap_interval_covers_zero_for_symmetric_noise() -> None:
    result = paired_bootstrap([1.0, -1.0] * 20, seed=1)
    assert result.low < 0 < result.high
    assert not result.excludes_zero


def test_paired_bootstrap_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="at least one"):
        paired_bootstrap([])
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap([1.0], confidence=1.0)


def test_histogram_bins_edges_and_clipping() -> None:
    values = [0.0, 0.05, 0.1, 0.3, 0.7, 0.99, 1.0, 1.5, -0.2]
    counts = histogram(values, bins=10)
    # 0.3 and 0.7 sit on bin edges and must land in the bin they start despite float error (0.3/0.1 = 2.999...)
    assert counts == [3, 1, 0, 1, 0, 0, 0, 1, 0, 3]
    assert sum(counts) == len(values)
    assert histogram([0.1, 0.2], bins=2, low=0.0, high=0.25) == [1, 1]
    with pytest.raises(ValueError, match="bins"):
        histogram([], bins=0)
