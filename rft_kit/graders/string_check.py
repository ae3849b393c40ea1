"""``string_check``: compare a rendered input with a rendered reference (docs/hosted-semantics.md: string_check).

``eq``/``ne`` compare exactly (case-sensitive, no trimming); ``like`` is 1 when the *input contains the reference* as a
literal substring, ``ilike`` the same after lower-casing both. Reward is exactly 1.0 or 0.0.

Undocumented upstream, switchable in ``rft_options``: ``case_fold: casefold`` uses ``str.casefold`` instead of
``str.lower`` for ``ilike`` (they differ for a few characters such as ß); ``like_wildcards: true`` reads ``%`` and
``_`` in the reference as SQL wildcards instead of literal characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from ..records import Sample
from ..templating import Template
from .base import Grader, SampleLike, batch_texts, reads_text_in_batch

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
        self._batch_checks_text = reads_text_in_batch(self.input, self.reference)
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
        if self._wildcards:
            return None
        texts = batch_texts(self.input, samples, items)
        if texts is None:
            return None
        refs = batch_texts(self.reference, samples, items)
        if refs is None:
            return None
        # One comprehension per operation over lists already checked to hold only strings; lengths were checked by
        # Grader.rewards, and strict=True would cost a third of the loop.
        pairs = zip(texts, refs, strict=False)
        op = self.operation
        if op == "eq":
            return [1.0 if a == b else 0.0 for a, b in pairs]
        if op == "ne":
            return [0.0 if a == b else 1.0 for a, b in pairs]
        if op == "ilike":
            fold = self._fold
            return [1.0 if fold(b) in fold(a) else 0.0 for a, b in pairs]
        return [1.0 if b in a else 0.0 for a, b in pairs]
