"""Answer normalisation shared by the regex grader and its exported ``python`` twin (standard library only)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.,;:!?]+$")


def normalize_answer(text: str, compare: str) -> str:
    """``exact``: unchanged; ``casefold``: Unicode case folding; ``normalized``: NFKC, case folding, collapsed
    whitespace, and trailing punctuation removed (``"Paris."`` == ``"paris"``)."""
    if compare == "exact":
        return text
    if compare == "casefold":
        return text.casefold()
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    text = _SPACES.sub(" ", text)
    return _TRAILING.sub("", text)
