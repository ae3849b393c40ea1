"""Relative judging, separate from any call so it can be tested exactly: shuffling, the verdict shapes of
``ranking_judge`` and ``pairwise_judge``, and their strict reading.

* Shuffle: the candidates of a group are shown in an order drawn from ``random.Random(seed key)``; the key is the
  grader's seed, the judge model and a digest of the candidates, so a call is reproducible (and cacheable) and two
  groups (or two ensemble models) see different orders. :func:`unshuffle` maps shown-order scores back exactly.
* A ranking reply must score every shown id ``1..n`` exactly once with a finite number in [0, 1]: a missing,
  extra, repeated or unknown id, or a score out of range, is an error for the whole group (never a guess).
* A pairwise verdict is ``A``, ``B`` or ``tie``; :func:`pairwise_outcome` combines the two orders.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "PairwiseOutcome",
    "order_for",
    "pairwise_outcome",
    "pairwise_schema",
    "ranking_schema",
    "read_scores",
    "unshuffle",
]

WINNERS: Final = ("A", "B", "tie")


def order_for(texts: Sequence[str], *, seed: int, model: str) -> list[int]:
    """The shown order: ``order[k]`` is the index (into ``texts``) of the candidate shown as id ``k + 1``."""
    digest = hashlib.sha256("\x00".join(texts).encode("utf-8", "surrogatepass")).hexdigest()
    order = list(range(len(texts)))
    random.Random(f"{seed}:{model}:{digest}").shuffle(order)
    return order


def unshuffle(shown_scores: Sequence[float], order: Sequence[int]) -> list[float]:
    """Scores by candidate index from scores by shown position (the inverse of showing in ``order``)."""
    if len(shown_scores) != len(order):
        raise ValueError(f"{len(shown_scores)} scores for {len(order)} candidates")
    out = [math.nan] * len(order)
    for position, index in enumerate(order):
        out[index] = float(shown_scores[position])
    return out


def ranking_schema() -> dict[str, Any]:
    """``{steps: [...], scores: [{id, score}]}``: every candidate of a group, scored relative to the others."""
    entry = {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "score": {"type": "number"}},
        "required": ["id", "score"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "steps": {"type": "array", "items": {"type": "string"}},
            "scores": {"type": "array", "items": entry},
        },
        "required": ["steps", "scores"],
        "additionalProperties": False,
    }


def pairwise_schema() -> dict[str, Any]:
    """``{steps: [...], winner: A | B | tie}``."""
    return {
        "type": "object",
        "properties": {"steps": {"type": "array", "items": {"type": "string"}}, "winner": {"enum": list(WINNERS)}},
        "required": ["steps", "winner"],
        "additionalProperties": False,
    }


def has_scores(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` looks like a ranking verdict (a list under ``scores``); :func:`read_scores` checks it."""
    return isinstance(obj.get("scores"), list)


def read_scores(verdict: Mapping[str, Any], n: int) -> list[float]:
    """The shown-order scores of a ranking verdict for ``n`` candidates.

    Raises:
        ValueError: the verdict does not score ids ``1..n`` exactly once each with a number in [0, 1] (the message
            says what is wrong).
    """
    entries = verdict.get("scores")
    if not isinstance(entries, list):
        raise ValueError("the verdict has no 'scores' list")
    if len(entries) != n:
        raise ValueError(f"the judge returned {len(entries)} scores for {n} candidates")
    scores: dict[int, float] = {}
    for k, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise ValueError(f"scores[{k}] is not an object {{id, score}}")
        ident, score = entry.get("id"), entry.get("score")
        if not isinstance(ident, int) or isinstance(ident, bool) or not 1 <= ident <= n:
            raise ValueError(f"scores[{k}].id is {ident!r}, not a candidate id 1..{n}")
        if ident in scores:
            raise ValueError(f"candidate {ident} is scored twice")
        if not isinstance(score, int | float) or isinstance(score, bool) or not math.isfinite(score):
            raise ValueError(f"scores[{k}].score is {score!r}, not a number")
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"scores[{k}].score is {score!r}, outside [0, 1]")
        scores[ident] = float(score)
    return [scores[i] for i in range(1, n + 1)]


@dataclass(frozen=True)
class PairwiseOutcome:
    """The two orders of a pairwise comparison, combined.

    Attributes:
        reward: 1 the sample wins in both orders, 0 the reference wins in both, 0.5 a tie (or an inconsistency);
            0.75 / 0.25 when one order wins and the other ties.
        position_inconsistent: the verdict flipped with the order (each order picked the answer shown first, or
            each the one shown second): scored as a tie.
    """

    reward: float
    position_inconsistent: bool


def pairwise_outcome(sample_first: str, sample_second: str) -> PairwiseOutcome:
    """Combine the verdicts of the two orders: ``sample_first`` with the sample shown as A, ``sample_second`` as B."""
    first = {"A": 1.0, "B": 0.0, "tie": 0.5}[sample_first]
    second = {"B": 1.0, "A": 0.0, "tie": 0.5}[sample_second]
    if (first - 0.5) * (second - 0.5) < 0:
        return PairwiseOutcome(0.5, True)
    return PairwiseOutcome((first + second) / 2, False)
