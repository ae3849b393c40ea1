"""``bleu``: sentence-level BLEU via NLTK 3.9.1 -- rft-kit's documented choice.

OpenAI does not document its hosted BLEU (docs/hosted-semantics.md: text_similarity): not the tokenization, n-gram
order, weights, smoothing, nor sentence vs corpus level. On short texts these choices move the score by 20+ orders
of magnitude, so treat local BLEU as our definition rather than a replica, and calibrate thresholds against
``/graders/run`` when you can. Our default:

    nltk.translate.bleu_score.sentence_bleu([reference.split()], input.split(),
        weights=(0.25, 0.25, 0.25, 0.25), smoothing_function=SmoothingFunction().method1)

i.e. whitespace tokens, case-sensitive, one reference, uniform 4-gram weights and Chen & Cherry smoothing
method 1 (a zero n-gram count becomes epsilon = 0.1). Without smoothing (``bleu_smoothing="none"`` or
``"method0"``, NLTK's own default) any pair with a unigram match but no 4-gram match -- e.g. every text of
3 tokens or fewer -- gets a meaningless ~1e-231..1e-78, because NLTK replaces each zero precision with
``sys.float_info.min``; e.g.
``The cat sat on the mat.`` vs ``The cat is on the mat.`` is 7e-78 unsmoothed, 0.2541 with method1 and
0.2939 with method4; ``Paris`` vs ``Paris`` is 0.1778 with method1 (brevity is not the issue: 2-, 3- and
4-gram precisions are 0.1 after smoothing).

Options: ``bleu_smoothing`` (``none``, ``method0`` .. ``method7``), ``bleu_max_order`` (1..4; weights
1/n each) and ``bleu_tokenizer``: ``whitespace`` (``str.split``) or ``13a`` (sacreBLEU's default ``13a``
tokenizer, ported below: punctuation and symbols split off, case kept -- only the tokenizer, the score is
still NLTK's).

Edge cases, all returning a float in [0, 1] without raising or warning: an empty (or whitespace-only)
input or reference scores 0.0; NLTK's zero-count ``UserWarning`` is suppressed; ``method6`` needs a
non-zero trigram precision (NLTK asserts it), so such pairs score 0.0, and ``bleu_max_order`` must be >= 3
with it; ``method5``/``method7`` can exceed 1 (NLTK seeds its average with p1 + 1), so scores are clipped
to 1.0.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from rft_kit.errors import ConfigError

__all__ = ["BLEU_SMOOTHINGS", "BLEU_TOKENIZERS", "BleuMetric", "tokenize_13a"]

BLEU_SMOOTHINGS: tuple[str, ...] = ("none", *(f"method{i}" for i in range(8)))
BLEU_TOKENIZERS: tuple[str, ...] = ("whitespace", "13a")

# sacreBLEU 2.x TokenizerRegexp (used by Tokenizer13a), verbatim.
_13A_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),  # symbols and most punctuation
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),  # period/comma unless preceded by a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),  # period/comma unless followed by a digit
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),  # dash after a digit
)


def tokenize_13a(text: str) -> list[str]:
    """Tokenize like sacreBLEU's ``13a`` tokenizer (mteval-v13a), returning the tokens."""
    line = text.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} "
    for pattern, repl in _13A_RULES:
        line = pattern.sub(repl, line)
    return line.split()


def _whitespace(text: str) -> list[str]:
    return text.split()


_TOKENIZERS: dict[str, Callable[[str], list[str]]] = {"whitespace": _whitespace, "13a": tokenize_13a}


class BleuMetric:
    """Sentence BLEU with one reference, computed by NLTK.

    Args:
        smoothing: ``"none"`` (= ``"method0"``) or ``"method1"`` .. ``"method7"``.
        max_order: highest n-gram order, 1..4; weights are uniform ``1 / max_order``.
        tokenizer: ``"whitespace"`` or ``"13a"``.
    """

    name = "bleu"

    def __init__(self, smoothing: str = "method1", max_order: int = 4, tokenizer: str = "whitespace") -> None:
        if smoothing not in BLEU_SMOOTHINGS:
            raise ConfigError(f"bleu_smoothing must be one of {', '.join(BLEU_SMOOTHINGS)}; got {smoothing!r}")
        if tokenizer not in BLEU_TOKENIZERS:
            raise ConfigError(f"bleu_tokenizer must be one of {', '.join(BLEU_TOKENIZERS)}; got {tokenizer!r}")
        if not 1 <= max_order <= 4:
            raise ConfigError(f"bleu_max_order must be an integer from 1 to 4; got {max_order!r}")
        if smoothing == "method6" and max_order < 3:
            raise ConfigError("bleu_smoothing 'method6' needs bleu_max_order >= 3 (it extrapolates trigrams)")
        self.smoothing = smoothing
        self.max_order = max_order
        self.tokenizer = tokenizer
        self._setup()

    def _setup(self) -> None:
        # NLTK is slow to import; keep `import rft_kit.similarity` light for metrics that never use it.
        from nltk.translate.bleu_score import (
            SmoothingFunction,
            modified_precision,
            sentence_bleu,
        )

        self._sentence_bleu: Callable[..., Any] = sentence_bleu
        self._modified_precision: Callable[..., Any] = modified_precision
        method = "method0" if self.smoothing == "none" else self.smoothing
        self._method = method
        self._smoother: Callable[..., Any] = getattr(SmoothingFunction(), method)
        self._weights = (1 / self.max_order,) * self.max_order
        self._tokenize = _TOKENIZERS[self.tokenizer]

    def __getstate__(self) -> dict[str, Any]:
        return {"smoothing": self.smoothing, "max_order": self.max_order, "tokenizer": self.tokenizer}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.smoothing = state["smoothing"]
        self.max_order = state["max_order"]
        self.tokenizer = state["tokenizer"]
        self._setup()

    def _bleu(self, hyp: list[str], ref: list[str]) -> float:
        if not hyp or not ref:
            return 0.0
        sentence_bleu = self._sentence_bleu
        if self._method == "method6" and self._modified_precision([ref], hyp, 3).numerator == 0:
            return 0.0
        if self._method == "method0":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                value = sentence_bleu([ref], hyp, weights=self._weights, smoothing_function=self._smoother)
        else:
            value = sentence_bleu([ref], hyp, weights=self._weights, smoothing_function=self._smoother)
        return min(float(value), 1.0)

    def score(self, input: str, reference: str) -> float:
        """Return sentence BLEU of ``input`` (hypothesis) against ``reference``, in [0, 1]."""
        return self._bleu(self._tokenize(input), self._tokenize(reference))

    def score_batch(self, inputs: Sequence[str], references: Sequence[str]) -> list[float]:
        """Return ``[score(a, b) for a, b in zip(inputs, references)]``."""
        if len(inputs) != len(references):
            raise ValueError(f"{len(inputs)} inputs but {len(references)} references")
        return [self.score(a, b) for a, b in zip(inputs, references, strict=True)]

    def describe(self) -> dict[str, Any]:
        """Return the implementation choice for result metadata."""
        import nltk

        split = "input.split()" if self.tokenizer == "whitespace" else "tokenize_13a(input)"
        return {
            "metric": self.name,
            "library": "nltk",
            "library_version": nltk.__version__,
            "call": (
                f"nltk.translate.bleu_score.sentence_bleu([reference tokens], {split}, "
                f"weights={self._weights}, smoothing_function=SmoothingFunction().{self._method})"
            ),
            "level": "sentence",
            "tokenization": self.tokenizer,
            "case_sensitive": True,
            "max_order": self.max_order,
            "weights": list(self._weights),
            "smoothing": self._method,
            "smoothing_epsilon": 0.1 if self._method == "method1" else None,
            "clipped_to_1": self._method in ("method5", "method7"),
            "hosted_semantics": "undocumented by OpenAI; this is rft-kit's choice",
        }
