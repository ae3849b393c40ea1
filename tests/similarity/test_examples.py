"""Worked examples and the sensitivity table of docs/hosted-semantics.md (text_similarity) (values to 1e-4)."""

from __future__ import annotations

import pytest

from rft_kit.similarity import get_metric

BEAR = ("fuzzy wuzzy was a bear", "fuzzy wuzzy had no hair")
CAT = ("The cat sat on the mat.", "The cat is on the mat.")
PARIS = ("Paris", "Paris")
NINE = "the quick brown fox jumps over the lazy dog"


def score(metric: str, pair: tuple[str, str], **options: object) -> float:
    return get_metric(metric, options).score(*pair)


def test_nine_token_sentence_has_nine_tokens() -> None:
    assert len(NINE.split()) == 9


@pytest.mark.parametrize(
    ("pair", "expected"),
    [
        (BEAR, 0.7556),  # worked example 1; the real API returned 0.7555555555555555
        (("Jon Doe", "John Doe"), 0.9333),  # worked example 2
        (("john doe", "John Doe"), 1.0),  # default_process lower-cases
        (("abc", "xyz"), 0.0),
        (PARIS, 1.0),
        ((NINE, NINE), 1.0),
    ],
)
def test_fuzzy_default(pair: tuple[str, str], expected: float) -> None:
    assert score("fuzzy_match", pair) == pytest.approx(expected, abs=1e-4)


def test_fuzzy_bear_matches_observed_api_value() -> None:
    assert score("fuzzy_match", BEAR) == 0.7555555555555555


def test_fuzzy_cat_row() -> None:
    # The table: ratio 0.9333, ratio+default_process 0.9302, WRatio 0.9333 / WRatio+dp 0.9302. Our default is
    # WRatio + default_process (the guide's python example), so it gives 0.9302: stripping the final "."
    # shortens both strings and the single differing word weighs more.
    assert score("fuzzy_match", CAT) == pytest.approx(0.9302, abs=1e-4)
    assert score("fuzzy_match", CAT, fuzzy_processor="none") == pytest.approx(0.9333, abs=1e-4)
    assert score("fuzzy_match", CAT, fuzzy_scorer="ratio", fuzzy_processor="none") == pytest.approx(0.9333, abs=1e-4)
    assert score("fuzzy_match", CAT, fuzzy_scorer="ratio") == pytest.approx(0.9302, abs=1e-4)


def test_fuzzy_case_sensitive_without_processor() -> None:
    pair = ("john doe", "John Doe")
    assert score("fuzzy_match", pair, fuzzy_scorer="ratio", fuzzy_processor="none") == pytest.approx(0.75)
    assert score("fuzzy_match", pair, fuzzy_processor="none") == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("scorer", "expected"),
    [
        ("ratio", 0.7556),
        ("QRatio", 0.7556),
        ("token_set_ratio", 0.7556),
        ("partial_ratio", 0.744),
        ("token_sort_ratio", 0.578),
    ],
)
def test_fuzzy_bear_other_scorers(scorer: str, expected: float) -> None:
    assert score("fuzzy_match", BEAR, fuzzy_scorer=scorer) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(
    ("metric", "pair", "expected"),
    [
        ("rouge_1", BEAR, 0.4),
        ("rouge_2", BEAR, 0.25),
        ("rouge_l", BEAR, 0.4),
        ("rouge_1", CAT, 0.8333),
        ("rouge_2", CAT, 0.6),
        ("rouge_l", CAT, 0.8333),
        ("rouge_1", PARIS, 1.0),
        ("rouge_2", PARIS, 0.0),  # fewer tokens than n: 0 even for an exact match
        ("rouge_l", PARIS, 1.0),
        ("gleu", BEAR, 0.2143),
        ("gleu", CAT, 0.5),
        ("gleu", PARIS, 1.0),
        ("bleu", BEAR, 0.1136),
        ("bleu", CAT, 0.2541),
        ("bleu", PARIS, 0.1778),
    ],
)
def test_table_values(metric: str, pair: tuple[str, str], expected: float) -> None:
    assert score(metric, pair) == pytest.approx(expected, abs=1e-4)


def test_bleu_smoothing_variants_on_cat_row() -> None:
    assert score("bleu", CAT, bleu_smoothing="method4") == pytest.approx(0.2939, abs=1e-4)
    unsmoothed = score("bleu", CAT, bleu_smoothing="none")
    assert unsmoothed == pytest.approx(7e-78, rel=0.1)
    assert score("bleu", CAT, bleu_smoothing="method0") == unsmoothed
    assert score("bleu", BEAR, bleu_smoothing="method4") == pytest.approx(0.1212, abs=1e-4)
    assert score("bleu", PARIS, bleu_smoothing="method4") == pytest.approx(1.0)
    assert score("bleu", PARIS, bleu_smoothing="none") == pytest.approx(2e-231, rel=0.1)


@pytest.mark.parametrize(
    "metric", ["fuzzy_match", "bleu", "gleu", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l"]
)
def test_identical_nine_tokens_is_one(metric: str) -> None:
    assert score(metric, (NINE, NINE)) == 1.0


@pytest.mark.parametrize(
    "metric", ["fuzzy_match", "bleu", "gleu", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l"]
)
def test_disjoint_is_zero(metric: str) -> None:
    assert score(metric, ("abc", "xyz")) == 0.0


def test_meteor_examples(meteor) -> None:
    assert meteor.score(NINE, NINE) == pytest.approx(1 - 0.5 * (1 / 9) ** 3, abs=1e-12)
    assert meteor.score(NINE, NINE) == pytest.approx(0.99931, abs=1e-5)
    assert meteor.score("abc", "xyz") == 0.0
    # NLTK's doctest value for single_meteor_score(reference1, hypothesis1).
    hypothesis = "It is a guide to action which ensures that the military always obeys the commands of the party"
    reference = "It is a guide to action that ensures that the military will forever heed Party commands"
    assert meteor.score(hypothesis, reference) == pytest.approx(0.6944, abs=1e-4)


def test_meteor_uses_wordnet_synonyms(meteor) -> None:
    # "car" and "auto" share a WordNet synset but are neither an exact nor a stem match.
    with_synonym = meteor.score("a car house", "a auto house")
    without = meteor.score("a red house", "a auto house")
    assert with_synonym > without > 0.0
    # NLTK 3.9.1 runs the synonym stage on Porter *stems* of the leftover words, so "large" (stem "larg")
    # never matches "big"; we keep that quirk for parity with the hosted NLTK.
    assert meteor.score("a big house", "a large house") == without


def test_rouge_stemmer_changes_matches() -> None:
    pair = ("the cats were running", "the cat was running")
    assert score("rouge_1", pair, rouge_stemmer=True) > score("rouge_1", pair)
