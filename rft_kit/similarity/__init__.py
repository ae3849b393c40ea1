"""Text-similarity metrics behind the ``text_similarity`` grader (docs/hosted-semantics.md: text_similarity).

Every metric maps ``(input, reference)`` -- the text being graded and the text it is graded against -- to a
float in [0, 1]. OpenAI documents only the metric names and libraries, so each default below is the most
plausible hosted implementation given the python-grader image's pinned libraries (rapidfuzz 3.10.1, nltk
3.9.1, rouge-score 0.1.2); every choice is reported by ``Metric.describe()`` and can be changed through
options:

=============  ===========================================================================================
metric         default
=============  ===========================================================================================
fuzzy_match    ``rapidfuzz.fuzz.WRatio(input, reference, processor=utils.default_process) / 100``
bleu           NLTK ``sentence_bleu`` on whitespace tokens, 4-gram uniform weights, smoothing method1
               (rft-kit's choice: hosted BLEU is undocumented and short-text BLEU depends on smoothing)
gleu           NLTK ``sentence_gleu`` on whitespace tokens, n-gram orders 1..4 (bit-identical rewrite)
meteor         NLTK ``meteor_score`` (alpha 0.9, beta 3, gamma 0.5) with offline WordNet 3.0
cosine         embedding cosine similarity (``rft_kit.similarity.cosine``, imported lazily)
rouge_1..5, l  rouge-score ``RougeScorer`` F-measure, no stemming (bit-identical, faster rewrite)
=============  ===========================================================================================

Usage::

    metric = get_metric("rouge_l", {"rouge_stemmer": True})   # construct once (WordNet loads here)
    metric.score("the cat sat", "the cat sat down")           # then score many
    metric.score_batch(inputs, references)                    # same floats, less overhead

Metric objects are picklable, so they can be sent to process pools; scoring never raises on any text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from rft_kit.errors import ConfigError

from .bleu import BLEU_SMOOTHINGS, BLEU_TOKENIZERS
from .fuzzy import FUZZY_PROCESSORS, FUZZY_SCORERS

__all__ = ["METRICS", "OPTION_PROPERTIES", "Metric", "get_metric"]

METRICS: tuple[str, ...] = (
    "fuzzy_match",
    "bleu",
    "gleu",
    "meteor",
    "cosine",
    "rouge_1",
    "rouge_2",
    "rouge_3",
    "rouge_4",
    "rouge_5",
    "rouge_l",
)

_ROUGE = ("rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l")


@runtime_checkable
class Metric(Protocol):
    """A text-similarity metric: construct once, score many pairs."""

    name: str

    def score(self, input: str, reference: str) -> float:
        """Return the similarity of ``input`` (graded text) to ``reference`` in [0, 1]."""
        ...

    def score_batch(self, inputs: Sequence[str], references: Sequence[str]) -> list[float]:
        """Return exactly ``[score(a, b) for a, b in zip(inputs, references)]``, possibly faster."""
        ...

    def describe(self) -> dict[str, Any]:
        """Return the exact implementation choice (library, version, call, tokenization, ...)."""
        ...


# JSON-Schema "properties" for metric options; ``_APPLIES_TO`` says which metrics read each one.
OPTION_PROPERTIES: dict[str, Any] = {
    "fuzzy_scorer": {
        "type": "string",
        "enum": list(FUZZY_SCORERS),
        "default": "WRatio",
        "description": "fuzzy_match: rapidfuzz.fuzz scorer; the score is its value / 100.",
    },
    "fuzzy_processor": {
        "type": "string",
        "enum": list(FUZZY_PROCESSORS),
        "default": "default_process",
        "description": "fuzzy_match: rapidfuzz preprocessing (default_process lower-cases and strips punctuation).",
    },
    "rouge_stemmer": {
        "type": "boolean",
        "default": False,
        "description": "rouge_*: Porter-stem tokens longer than 3 characters (rouge-score use_stemmer).",
    },
    "gleu_min_len": {
        "type": "integer",
        "minimum": 1,
        "maximum": 16,
        "default": 1,
        "description": "gleu: smallest n-gram order counted.",
    },
    "gleu_max_len": {
        "type": "integer",
        "minimum": 1,
        "maximum": 16,
        "default": 4,
        "description": "gleu: largest n-gram order counted (>= gleu_min_len).",
    },
    "bleu_smoothing": {
        "type": "string",
        "enum": list(BLEU_SMOOTHINGS),
        "default": "method1",
        "description": "bleu: NLTK SmoothingFunction method; none = method0 (near-zero scores on short texts).",
    },
    "bleu_max_order": {
        "type": "integer",
        "minimum": 1,
        "maximum": 4,
        "default": 4,
        "description": "bleu: highest n-gram order; weights are uniform 1/n.",
    },
    "bleu_tokenizer": {
        "type": "string",
        "enum": list(BLEU_TOKENIZERS),
        "default": "whitespace",
        "description": "bleu: whitespace (str.split) or 13a (sacreBLEU's default tokenizer); case-sensitive.",
    },
    "meteor_alpha": {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "default": 0.9,
        "description": "meteor: weight of precision vs recall in the harmonic mean.",
    },
    "meteor_beta": {
        "type": "number",
        "minimum": 0,
        "default": 3.0,
        "description": "meteor: exponent of the fragmentation penalty.",
    },
    "meteor_gamma": {
        "type": "number",
        "minimum": 0,
        "maximum": 1,
        "default": 0.5,
        "description": "meteor: weight of the fragmentation penalty.",
    },
    "embedding_model": {
        "type": "string",
        "minLength": 1,
        "description": "cosine: embedding model name (hosted cosine uses text-embedding-3-large).",
    },
    "embedding_base_url": {
        "type": "string",
        "minLength": 1,
        "description": "cosine: base URL of an OpenAI-compatible embeddings endpoint.",
    },
    "embedding_api_key_env": {
        "type": "string",
        "minLength": 1,
        "description": "cosine: name of the environment variable holding the API key.",
    },
    "embedding_batch_size": {
        "type": "integer",
        "minimum": 1,
        "description": "cosine: texts per embeddings request.",
    },
}

_APPLIES_TO: dict[str, tuple[str, ...]] = {
    "fuzzy_scorer": ("fuzzy_match",),
    "fuzzy_processor": ("fuzzy_match",),
    "rouge_stemmer": _ROUGE,
    "gleu_min_len": ("gleu",),
    "gleu_max_len": ("gleu",),
    "bleu_smoothing": ("bleu",),
    "bleu_max_order": ("bleu",),
    "bleu_tokenizer": ("bleu",),
    "meteor_alpha": ("meteor",),
    "meteor_beta": ("meteor",),
    "meteor_gamma": ("meteor",),
    "embedding_model": ("cosine",),
    "embedding_base_url": ("cosine",),
    "embedding_api_key_env": ("cosine",),
    "embedding_batch_size": ("cosine",),
}


def _check_value(key: str, value: Any) -> None:
    """Raise ``ConfigError`` unless ``value`` satisfies ``OPTION_PROPERTIES[key]``."""
    schema = OPTION_PROPERTIES[key]
    kind = schema["type"]
    if "enum" in schema:
        if value not in schema["enum"] or not isinstance(value, str):
            raise ConfigError(f"option {key!r} must be one of {', '.join(schema['enum'])}; got {value!r}")
        return
    if kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str) and len(value) >= schema.get("minLength", 0)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:  # number
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and kind in ("integer", "number"):
        ok = schema.get("minimum", -math.inf) <= value <= schema.get("maximum", math.inf)
    if not ok:
        bounds = ""
        if kind in ("integer", "number"):
            bounds = f" in [{schema.get('minimum', '-inf')}, {schema.get('maximum', 'inf')}]"
        article = "an" if kind == "integer" else "a"
        raise ConfigError(f"option {key!r} must be {article} {kind}{bounds}; got {value!r}")


def _validated(name: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    opts = dict(options or {})
    for key, value in opts.items():
        if key not in OPTION_PROPERTIES:
            raise ConfigError(f"unknown option {key!r}; known options: {', '.join(OPTION_PROPERTIES)}")
        if name not in _APPLIES_TO[key]:
            raise ConfigError(
                f"option {key!r} does not apply to metric {name!r}; it applies to {', '.join(_APPLIES_TO[key])}"
            )
        _check_value(key, value)
    return opts


def get_metric(name: str, options: Mapping[str, Any] | None = None) -> Metric:
    """Build the metric ``name`` with ``options`` (keys of ``OPTION_PROPERTIES``).

    Expensive setup (WordNet for METEOR) happens here, once; reuse the returned object.

    Args:
        name: one of ``METRICS``.
        options: metric options; each must apply to ``name``. Missing keys take the documented defaults.

    Returns:
        A picklable ``Metric``.

    Raises:
        ConfigError: unknown metric, unknown option, option for another metric, or a bad option value.
        DependencyError: data the metric needs is missing (WordNet for ``meteor``).
    """
    if name not in METRICS:
        raise ConfigError(f"unknown evaluation_metric {name!r}; expected one of {', '.join(METRICS)}")
    opts = _validated(name, options)
    if name == "fuzzy_match":
        from .fuzzy import FuzzyMetric

        return FuzzyMetric(opts.get("fuzzy_scorer", "WRatio"), opts.get("fuzzy_processor", "default_process"))
    if name in _ROUGE:
        from .rouge import RougeMetric

        return RougeMetric(name, stemmer=opts.get("rouge_stemmer", False))
    if name == "gleu":
        from .gleu import GleuMetric

        return GleuMetric(opts.get("gleu_min_len", 1), opts.get("gleu_max_len", 4))
    if name == "bleu":
        from .bleu import BleuMetric

        return BleuMetric(
            opts.get("bleu_smoothing", "method1"),
            opts.get("bleu_max_order", 4),
            opts.get("bleu_tokenizer", "whitespace"),
        )
    if name == "meteor":
        from .meteor import MeteorMetric

        return MeteorMetric(
            float(opts.get("meteor_alpha", 0.9)),
            float(opts.get("meteor_beta", 3.0)),
            float(opts.get("meteor_gamma", 0.5)),
        )
    # cosine is written separately and may pull in network clients, so it is imported only when asked for.
    from .cosine import CosineMetric  # type: ignore[import-not-found, unused-ignore]

    metric: Metric = CosineMetric(opts)
    return metric
