"""``string_check``: compare a rendered input with a rendered reference (OPENAI_GRADERS.md 3.1).

``eq``/``ne`` compare exactly (case-sensitive, no trimming); ``like`` is 1 when the *input contains the reference* as a
literal substring, ``ilike`` the same after lower-casing both. Reward is exactly 1.0 or 0.0.

Undocumented upstream, switchable in ``rft_options``: ``case_fold: casefold`` uses ``str.casefold`` instead of
``str.lower`` for ``ilike`` (they differ for a few characters such as ß); ``like_wildcards: true`` reads ``%`` and
``_`` in the reference as SQL wildcards instead of literal characters.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from ..model import Sample
from ..templating import Template
from .base import Grader, SampleLike, batch_texts

__all__ = ["StringCheckGrader"]


def _like_pattern(reference: str, flags: int) -> re.Pattern[str]:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in reference)
    return re.compile(regex, flags | re.DOTALL)


class StringCheckGrader(Grader):
    """Exact or containment string comparison; reward 1.0 or 0.0."""

    type: ClassVar[str] = "string_check"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        self.input: Template = self._template("input")
        self.reference: Template = self._template("reference")
        self.operation: str = self._config["operation"]
        options = self._config.get("rft_options") or {}
        self._fold: Callable[[str], str] = str.casefold if options.get("case_fold") == "casefold" else str.lower
        self._wildcards: bool = bool(options.get("like_wildcards", False))

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.input, self.reference)

    def _compare(self, text: str, reference: str) -> bool:
        op = self.operation
        if op == "eq":
            return text == reference
        if op == "ne":
            return text != reference
        if op == "ilike":
            text, reference = self._fold(text), self._fold(reference)
        if self._wildcards:
            return _like_pattern(reference, 0).search(text) is not None
        return reference in text

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> float:
        ns = sample.namespace()
        text = self.input.render(ns, item)
        reference = self.reference.render(ns, item)
        return 1.0 if self._compare(text, reference) else 0.0

    def _score_batch(self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any]]) -> list[float] | None:
        texts = batch_texts(self.input, samples, items)
        refs = batch_texts(self.reference, samples, items) if texts is not None else None
        if texts is None or refs is None or self._wildcards:
            return None
        op = self.operation
        if op == "ilike":
            texts = list(map(self._fold, texts))
            refs = list(map(self._fold, refs))
        compare: Callable[[str, str], bool] = {
            "eq": operator.eq,
            "ne": operator.ne,
            "like": operator.contains,
            "ilike": operator.contains,
        }[op]
        return [1.0 if hit else 0.0 for hit in map(compare, texts, refs)]
