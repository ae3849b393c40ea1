"""Public API: get_metric, options, errors, describe(), pickling and the lazy cosine import."""

from __future__ import annotations

import math
import pickle
import sys
import types
from concurrent.futures import ProcessPoolExecutor

import pytest
from jsonschema import Draft202012Validator

from rft_kit.errors import ConfigError
from rft_kit.similarity import METRICS, OPTION_PROPERTIES, Metric, get_metric
from rft_kit.similarity.bleu import tokenize_13a

NON_COSINE = [m for m in METRICS if m != "cosine"]
PAIRS = [
    ("fuzzy wuzzy was a bear", "fuzzy wuzzy had no hair"),
    ("The cats were running.", "The cat is running"),
    ("", "x"),
]


def _metric(name: str, meteor) -> Metric:
    return meteor if name == "meteor" else get_metric(name)


def test_metrics_are_the_hosted_enum() -> None:
    assert METRICS == (
        "fuzzy_match", "bleu", "gleu", "meteor", "cosine",
        "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l",
    )  # fmt: skip


@pytest.mark.parametrize("name", NON_COSINE)
def test_metric_protocol_and_describe(name: str, meteor) -> None:
    metric = _metric(name, meteor)
    assert isinstance(metric, Metric)
    assert metric.name == name
    info = metric.describe()
    assert info["metric"] == name
    assert any(key in info for key in ("call", "reference_call"))


@pytest.mark.parametrize("name", NON_COSINE)
def test_pickle_round_trip(name: str, meteor) -> None:
    metric = _metric(name, meteor)
    metric.score(*PAIRS[1])  # warm caches so they are part of the pickled state if kept
    clone = pickle.loads(pickle.dumps(metric))
    assert type(clone) is type(metric)
    assert clone.describe() == metric.describe()
    assert [clone.score(a, b) for a, b in PAIRS] == [metric.score(a, b) for a, b in PAIRS]


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("fuzzy_match", {"fuzzy_scorer": "token_set_ratio", "fuzzy_processor": "none"}),
        ("rouge_2", {"rouge_stemmer": True}),
        ("bleu", {"bleu_smoothing": "method7", "bleu_max_order": 3, "bleu_tokenizer": "13a"}),
        ("gleu", {"gleu_min_len": 2, "gleu_max_len": 3}),
    ],
)
def test_pickle_keeps_options(name: str, options: dict[str, object]) -> None:
    metric = get_metric(name, options)
    clone = pickle.loads(pickle.dumps(metric))
    assert clone.describe() == metric.describe()
    assert clone.describe() != get_metric(name).describe()


def test_metric_crosses_a_process_pool() -> None:
    metric = get_metric("rouge_l", {"rouge_stemmer": True})
    with ProcessPoolExecutor(max_workers=1) as pool:
        remote = pool.submit(metric.score_batch, [a for a, _ in PAIRS], [b for _, b in PAIRS]).result()
    assert remote == metric.score_batch([a for a, _ in PAIRS], [b for _, b in PAIRS])


def test_option_properties_is_a_valid_schema() -> None:
    schema = {"type": "object", "properties": OPTION_PROPERTIES, "additionalProperties": False}
    Draft202012Validator.check_schema(schema)
    for key, prop in OPTION_PROPERTIES.items():
        assert prop["description"].strip(), key
        if "default" in prop:
            Draft202012Validator({"type": "object", "properties": {key: prop}}).validate({key: prop["default"]})


@pytest.mark.parametrize("name", [m for m in NON_COSINE if m != "meteor"])
def test_schema_defaults_are_the_metric_defaults(name: str) -> None:
    defaults = {
        key: prop["default"]
        for key, prop in OPTION_PROPERTIES.items()
        if "default" in prop and (key.split("_")[0] == name.split("_")[0])
    }
    assert get_metric(name, defaults).describe() == get_metric(name).describe()


def test_meteor_schema_defaults(meteor) -> None:
    defaults = {k: OPTION_PROPERTIES[k]["default"] for k in ("meteor_alpha", "meteor_beta", "meteor_gamma")}
    assert get_metric("meteor", defaults).describe() == meteor.describe()


def test_unknown_metric_lists_known() -> None:
    with pytest.raises(ConfigError) as info:
        get_metric("rouge_6")
    for name in METRICS:
        assert name in str(info.value)


@pytest.mark.parametrize(
    ("name", "options", "needles"),
    [
        ("fuzzy_match", {"fuzzy_scorer": "levenshtein"}, ["fuzzy_scorer", "WRatio", "token_set_ratio"]),
        ("fuzzy_match", {"fuzzy_processor": None}, ["fuzzy_processor", "default_process", "none"]),
        ("bleu", {"bleu_smoothing": "method8"}, ["bleu_smoothing", "method7", "none"]),
        ("bleu", {"bleu_tokenizer": "intl"}, ["bleu_tokenizer", "whitespace", "13a"]),
        ("bleu", {"bleu_max_order": 5}, ["bleu_max_order", "4"]),
        ("bleu", {"bleu_max_order": True}, ["bleu_max_order", "integer"]),
        ("bleu", {"bleu_max_order": 2.0}, ["bleu_max_order", "integer"]),
        ("bleu", {"bleu_smoothing": "method6", "bleu_max_order": 2}, ["method6", "bleu_max_order"]),
        ("gleu", {"gleu_min_len": 0}, ["gleu_min_len"]),
        ("gleu", {"gleu_min_len": 3, "gleu_max_len": 2}, ["gleu_min_len", "gleu_max_len"]),
        ("rouge_l", {"rouge_stemmer": "yes"}, ["rouge_stemmer", "boolean"]),
        ("meteor", {"meteor_alpha": 1.5}, ["meteor_alpha"]),
        ("meteor", {"meteor_beta": math.nan}, ["meteor_beta"]),
        ("meteor", {"meteor_gamma": "0.5"}, ["meteor_gamma", "number"]),
        ("cosine", {"embedding_batch_size": 0}, ["embedding_batch_size"]),
        ("cosine", {"embedding_model": 3}, ["embedding_model", "string"]),
        ("rouge_1", {"stemmer": True}, ["stemmer", "rouge_stemmer"]),
        ("gleu", {"bleu_smoothing": "method1"}, ["bleu_smoothing", "gleu", "bleu"]),
    ],
)
def test_bad_options_name_the_option(name: str, options: dict[str, object], needles: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        get_metric(name, options)
    for needle in needles:
        assert needle in str(info.value)


def test_cosine_is_imported_lazily_with_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[dict[str, object]] = []

    class FakeCosine:
        name = "cosine"

        def __init__(self, options: dict[str, object]) -> None:
            received.append(options)

    fake = types.ModuleType("rft_kit.similarity.cosine")
    fake.CosineMetric = FakeCosine  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rft_kit.similarity.cosine", fake)
    options = {"embedding_model": "text-embedding-3-large", "embedding_batch_size": 64}
    metric = get_metric("cosine", options)
    assert isinstance(metric, FakeCosine)
    assert received == [options]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        # Verified against sacrebleu 2.6.0 Tokenizer13a (and 20,000 generated strings) when this port was written.
        ("Hello, world!", ["Hello", ",", "world", "!"]),
        ("It costs $3.50, or 3,000 yen.", ["It", "costs", "$", "3.50", ",", "or", "3,000", "yen", "."]),
        ("state-of-the-art 1990-2000", ["state-of-the-art", "1990", "-", "2000"]),
        ("Tom &amp; Jerry &quot;ok&quot;", ["Tom", "&", "Jerry", '"', "ok", '"']),
        ("e.g. U.S.A.", ["e", ".", "g", ".", "U", ".", "S", ".", "A", "."]),
        ("a<skipped>b", ["ab"]),
        ("line-\nbreak\nnext", ["linebreak", "next"]),
    ],
)
def test_tokenize_13a(text: str, tokens: list[str]) -> None:
    assert tokenize_13a(text) == tokens


def test_13a_tokenizer_changes_bleu() -> None:
    pair = ("The cat sat on the mat.", "The cat sat on the mat !")
    assert get_metric("bleu", {"bleu_tokenizer": "13a"}).score(*pair) > get_metric("bleu").score(*pair)
