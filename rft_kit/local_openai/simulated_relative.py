"""SIMULATED group, pairwise and rubric-writer rules of the local judge (nothing here is a language model).

Asked for by the verdict schema (see :mod:`rft_kit.local_openai.simulated_judge`):

* ``scores`` (``ranking_judge``): candidates are the ``Candidate N:`` blocks. Each gets a raw score: token F1 with
  the ``Reference:`` section when there is one, else the share of the ``Judging criteria:`` key words (4+ letters)
  it contains; the scores are the raw scores divided by the best one (all 0 when every raw score is 0: nothing
  meets the criteria).
  ``+verbose``: raw score = word count. ``+position-bias``: candidate 1 scores 1. ``+wrong-count``: the last
  score is left out. ``+wrong-ids``: ids start at 0.
* ``winner`` (``pairwise_judge``): the answer (``Answer A:`` / ``Answer B:``) with more criteria key words wins;
  equal counts are a tie. ``+position-bias``: A always wins. ``+verbose``: the longer answer wins.
* ``rubric`` (``rft rubric generate``): criteria written from the ``Reference answer:`` or ``Source document:``
  section: up to 2 phrases of 3 consecutive words per sentence (starting at a word of 4+ letters), each as
  ``The answer states "<phrase>"`` (essential for the first sentence, optional for the last, important between;
  5 / 1 / 3 points), at most 18, plus two pitfalls with negative points ("guaranteed", "no need to"). Every
  criterion is labelled SIMULATED in its ``source``. ``+sloppy`` adds a duplicate and a vague criterion.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["pairwise_verdict", "ranking_verdict", "rubric_writer_verdict"]

_CANDIDATE: Final = re.compile(r"^Candidate (\d+):[ \t]*$", re.MULTILINE)
_SENTENCE: Final = re.compile(r"[^.;!?\n]+")
_PHRASE_WORD: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9%'-]*")
_PITFALLS: Final = (
    ('The answer claims certainty with "guaranteed"', -5.0),
    ('The answer dismisses a needed step with "no need to"', -4.0),
)


def _keywords(text: str) -> list[str]:
    from .simulated_judge import _STOPWORDS, _WORD

    return list(dict.fromkeys(w for w in _WORD.findall(text.lower()) if len(w) >= 4 and w not in _STOPWORDS))


def _coverage(criteria: str, answer: str) -> float:
    words = _keywords(criteria)
    if not words:
        return 0.0
    lowered = answer.lower()
    return sum(w in lowered for w in words) / len(words)


def _candidates(plain: str) -> list[tuple[int, str]]:
    start = plain.find("Candidates")
    body = plain[start:] if start >= 0 else plain
    found = list(_CANDIDATE.finditer(body))
    out = []
    for n, match in enumerate(found):
        end = found[n + 1].start() if n + 1 < len(found) else len(body)
        out.append((int(match.group(1)), body[match.end() : end].strip()))
    return out


def ranking_verdict(plain: str, sections: Mapping[str, str], flags: frozenset[str]) -> dict[str, Any]:
    from .simulated_judge import _WORD, _f1

    candidates = _candidates(plain)
    criteria, reference = sections.get("judging criteria", ""), sections.get("reference")
    raw: list[float] = []
    for _, text in candidates:
        if "verbose" in flags:
            raw.append(float(len(_WORD.findall(text.lower()))))
        elif reference is not None:
            raw.append(_f1(reference, text))
        else:
            raw.append(_coverage(criteria, text))
    best = max(raw, default=0.0)
    scores = [round(r / best, 4) if best > 0 else 0.0 for r in raw]
    if "position-bias" in flags and scores:
        scores[0] = 1.0
    entries = [{"id": ident, "score": score} for (ident, _), score in zip(candidates, scores, strict=True)]
    if "wrong-ids" in flags:
        entries = [{**e, "id": int(e["id"]) - 1} for e in entries]
    if "wrong-count" in flags and entries:
        entries = entries[:-1]
    why = (
        "word counts" if "verbose" in flags else "F1 with the reference" if reference is not None else "criteria words"
    )
    return {
        "steps": [f"SIMULATED: scored {len(candidates)} candidates by {why}, relative to the best"],
        "scores": entries,
    }


def pairwise_verdict(sections: Mapping[str, str], flags: frozenset[str]) -> dict[str, Any]:
    from .simulated_judge import _WORD

    a, b = sections.get("answer a", ""), sections.get("answer b", "")
    if "position-bias" in flags:
        return {"steps": ["SIMULATED: the first answer is preferred"], "winner": "A"}
    size_a: float
    size_b: float
    if "verbose" in flags:
        size_a, size_b = len(_WORD.findall(a.lower())), len(_WORD.findall(b.lower()))
    else:
        criteria = sections.get("judging criteria", "")
        size_a, size_b = round(_coverage(criteria, a), 6), round(_coverage(criteria, b), 6)
    winner = "A" if size_a > size_b else "B" if size_b > size_a else "tie"
    return {"steps": [f"SIMULATED: A {size_a}, B {size_b}"], "winner": winner}


def rubric_writer_verdict(sections: Mapping[str, str], flags: frozenset[str]) -> dict[str, Any]:
    source = sections.get("reference answer") or sections.get("source document") or ""
    sentences = [s.strip() for s in _SENTENCE.findall(source) if s.strip()]
    rubric: list[dict[str, Any]] = []
    for n, sentence in enumerate(sentences):
        words = _PHRASE_WORD.findall(sentence)
        category, points = (
            ("essential", 5.0)
            if n == 0
            else ("optional", 1.0)
            if n == len(sentences) - 1 and n > 1
            else ("important", 3.0)
        )
        taken = 0
        k = 0
        while k + 3 <= len(words) and taken < 2 and len(rubric) < 18:
            if len(words[k]) >= 4:
                phrase = " ".join(words[k : k + 3])
                if phrase.lower() in sentence.lower():
                    rubric.append(_criterion(f'The answer states "{phrase}"', points, category))
                    taken += 1
                    k += 3
                    continue
            k += 1
    for text, points in _PITFALLS:
        rubric.append(_criterion(text, points, "pitfall"))
    if "sloppy" in flags and rubric:
        rubric.insert(1, dict(rubric[0]))
        rubric.append(_criterion("The answer is good and helpful", 2.0, "important"))
    return {"rubric": rubric}


def _criterion(text: str, points: float, category: str) -> dict[str, Any]:
    return {"criterion": text, "points": points, "category": category, "source": "SIMULATED rubric writer"}
