"""SIMULATED drafting and answering rules for ``rft generate --from-docs`` (tests and demos; no language model).

Two request kinds, recognised by the JSON schema the caller asks for:

* **Draft** (schema property ``items``): the document is the text between ``<document>`` and ``</document>`` in the
  prompt and the count is the N of "exactly N". Every sentence with a number becomes a fill-in-the-blank item
  ``{question: 'Fill in the blank using the document: "... ___ ..."', answer: <the number>, evidence: <sentence>}``,
  up to N. Around them come the defects a real drafting model produces, one of each, so that every filter of the
  pipeline is exercised. Before the clean items: a wrong reference that is still a span of genuine evidence (the
  sentence's first word; only the judge's own answer exposes it, or a number check). After them: an exact duplicate
  of the first clean item; a reworded near-duplicate of the second; an item whose evidence is *not* in the document
  (its number changed); an item whose question quotes a sentence the document does not contain while its evidence
  is genuine (only an answerability check catches it); and an item without an ``answer`` (a schema failure).
* **Answer** (schema property ``answerable``): find the question's quoted sentence, with ``___`` as a wildcard, in
  the document; answerable with the filled-in value when found, else not answerable.

Hook (one call at the top of ``simulated._verdict``)::

    if (drafted := drafter_verdict(schema, prompt)) is not None:
        return drafted

with ``from .simulated_drafter import drafter_verdict`` among the imports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["drafter_verdict"]

_DOCUMENT = re.compile(r"<document>\s*(.*?)\s*</document>", re.S)
_COUNT = re.compile(r"exactly (\d+)")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_QUOTED_BLANK = re.compile(r'"([^"]*___[^"]*)"')


def _sentences(document: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(document) if s.strip()]


def _cloze(sentence: str) -> dict[str, str] | None:
    match = _NUMBER.search(sentence)
    if match is None:
        return None
    blanked = sentence[: match.start()] + "___" + sentence[match.end() :]
    return {
        "question": f'Fill in the blank using the document: "{blanked}"',
        "answer": match.group(0),
        "evidence": sentence,
    }


def _draft(prompt: str) -> dict[str, Any]:
    document = _DOCUMENT.search(prompt)
    count = _COUNT.search(prompt)
    text = document.group(1) if document else ""
    limit = int(count.group(1)) if count else 3
    clean = [c for c in (_cloze(s) for s in _sentences(text)) if c is not None][:limit]
    items: list[dict[str, Any]] = []
    if clean:
        # first, a wrong reference that is still quoted in genuine evidence: only the judge can catch it
        first_word = clean[0]["evidence"].split()[0]
        items.append({**clean[0], "answer": first_word})
    items += clean
    if clean:
        items.append(dict(clean[0]))  # exact duplicate
    if len(clean) > 1:
        second = clean[1]
        quote = second["question"].split(": ", 1)[1]
        items.append({**second, "question": f"Using the document, fill in the blank: {quote}"})  # near-duplicate
    if clean:
        first = clean[-1]
        wrong = str(int(first["answer"].replace(",", "").split(".")[0]) + 1)
        altered = first["evidence"].replace(first["answer"], wrong, 1)
        items.append({"question": first["question"], "answer": wrong, "evidence": altered})  # unsupported
        items.append(
            {
                "question": 'Fill in the blank using the document: "The head office has ___ meeting rooms."',
                "answer": first["answer"],
                "evidence": first["evidence"],
            }
        )  # genuine evidence, unanswerable question
        items.append({"question": "What does the document say?", "evidence": first["evidence"]})  # no answer
    return {"items": items}


def _answer(prompt: str) -> dict[str, Any]:
    document = _DOCUMENT.search(prompt)
    text = " ".join((document.group(1) if document else "").split())
    quoted = _QUOTED_BLANK.findall(prompt.split("</document>")[-1])
    if not quoted:
        return {"explanation": "the question quotes no sentence with a blank", "answerable": False, "answer": ""}
    before, _, after = quoted[-1].partition("___")
    pattern = re.escape(" ".join(before.split())) + r"\s*(\S+?)\s*" + re.escape(" ".join(after.split()))
    match = re.search(pattern, text)
    if match is None:
        return {"explanation": "the quoted sentence is not in the document", "answerable": False, "answer": ""}
    return {"explanation": "the document contains the sentence", "answerable": True, "answer": match.group(1)}


def drafter_verdict(schema: Mapping[str, Any], prompt: str) -> dict[str, Any] | None:
    """The SIMULATED reply to a drafting or answering request, or ``None`` for any other request."""
    properties = schema.get("properties") or {}
    if "items" in properties:
        return _draft(prompt)
    if "answerable" in properties:
        return _answer(prompt)
    return None
