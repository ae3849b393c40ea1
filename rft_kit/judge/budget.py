"""The judge's context budget: what happens to a sample or trajectory too long for one judge call.

``rft_options.context_budget`` (tokens of one judge call's messages, estimated) and ``rft_options.overflow``:

* ``truncate`` (default): the graded text is cut in the MIDDLE, keeping its first quarter and its last three
  quarters of the kept tokens, so that the final answer (at the end) always survives; the cut is marked in the text
  the judge reads (``[... N tokens cut by rft-kit to fit the judge's context budget ...]``) and recorded in the
  result's ``metadata.truncated``. A trajectory loses whole turns from the middle (the first turn, the task, and the
  last turns, the final answer, stay). When even the prompt without the graded text is over the budget, the pair is
  an error.
* ``error``: an over-budget pair is an error (``truncated_observation_error``) with the sizes in the message.

Either way the pair is never scored 0 silently. Token counts are an ESTIMATE (words and punctuation marks, the
same count the SIMULATED judge reports); real tokenizers differ by a few percent, so leave a margin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..errors import GradeFailure

__all__ = ["MARKER", "cut_middle", "estimate_tokens", "messages_tokens", "over_budget_failure"]

_TOKEN: Final = re.compile(r"\w+|[^\w\s]")
MARKER: Final = "[... {n} tokens cut by rft-kit to fit the judge's context budget ...]"
_MARKER_TOKENS: Final = 16


def estimate_tokens(text: str) -> int:
    """Words and punctuation marks of ``text`` (an estimate of the judge's token count)."""
    return len(_TOKEN.findall(text))


def messages_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """The estimated prompt tokens of chat messages (text parts only, plus 4 per message)."""
    total = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            total += estimate_tokens(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                    total += estimate_tokens(part["text"])
        total += 4
    return total


def cut_middle(text: str, keep: int) -> str:
    """``text`` with its middle replaced by the marker so that about ``keep`` tokens remain (the end survives)."""
    tokens = list(_TOKEN.finditer(text))
    if len(tokens) <= keep:
        return text
    keep = max(0, keep - _MARKER_TOKENS)
    head = keep // 4
    tail = keep - head
    cut = len(tokens) - head - tail
    head_end = tokens[head - 1].end() if head else 0
    tail_start = tokens[len(tokens) - tail].start() if tail else len(text)
    return f"{text[:head_end]} {MARKER.format(n=cut)} {text[tail_start:]}".strip()


def over_budget_failure(used: int, budget: int, detail: str) -> GradeFailure:
    """The error of a pair that does not fit the judge's context budget."""
    return GradeFailure(
        "sample",
        "truncated_observation_error",
        f"the judge prompt needs about {used} tokens, over rft_options.context_budget = {budget}; {detail}",
    )
