"""``text_similarity``: one similarity metric between a rendered input and reference (docs/hosted-semantics.md:
text_similarity).

The metric implementations and their exact, documented choices live in :mod:`rft_kit.similarity`; metric knobs
(``fuzzy_scorer``, ``bleu_smoothing``, ...) go in ``rft_options`` and are stripped on export.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..errors import ConfigError
from ..records import Sample
from ..templating import Template
from .base import Grader, SampleLike, batch_texts, reads_text_in_batch

__all__ = ["TextSimilarityGrader"]


class TextSimilarityGrader(Grader):
    """Similarity score in [0, 1] from fuzzy_match, bleu, gleu, meteor, cosine or rouge_1..5/rouge_l."""

    type: ClassVar[str] = "text_similarity"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        from ..similarity import get_metric

        self.input: Template = self._template("input")
        self.reference: Template = self._template("reference")
        self._batch_checks_text = reads_text_in_batch(self.input, self.reference)
        options = {
            k: v
            for k, v in (self._config.get("rft_options") or {}).items()
            if k not in ("template_values", "json_descent")
        }
        try:
            self.metric = get_metric(self._config["evaluation_metric"], options)
        except ConfigError as exc:
            field = f"{path}.rft_options" if path else "rft_options"
            raise ConfigError(exc.detail, path=exc.path or field) from None

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.input, self.reference)

    def describe(self) -> dict[str, Any]:
        """The exact metric implementation (library, version, tokenisation, smoothing)."""
        return self.metric.describe()

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> float:
        ns = sample.namespace()
        return self.metric.score(self.input.render(ns, item), self.reference.render(ns, item))

    def _score_batch(self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any]]) -> list[float] | None:
        texts = batch_texts(self.input, samples, items)
        if texts is None:
            return None
        refs = batch_texts(self.reference, samples, items)
        if refs is None:
            return None
        return self.metric.score_batch(texts, refs)
