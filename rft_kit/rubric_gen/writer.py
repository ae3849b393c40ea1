"""The rubric writer's call: prompt, verdict schema, and reading the criteria out of the reply.

The writer is asked for 7-20 criteria, each ``{criterion, points, category}``: ``category`` is ``essential``,
``important``, ``optional`` (positive points: wanted content) or ``pitfall`` (negative points: a mistake the answer
must not make), grounded in the given reference answer or source document only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from ..judge.calls import ChatRequest, JudgeReply
from ..judge.parse import last_object

__all__ = ["CATEGORIES", "Source", "read_rubric", "rubric_request", "rubric_schema"]

Source = Literal["reference", "document"]
CATEGORIES: Final = ("essential", "important", "optional", "pitfall")

SYSTEM_PROMPT: Final = (
    "You write grading rubrics. From the material given, write 7 to 20 criteria that a grader can check one by one "
    "in an answer to the question. Each criterion is one concrete, checkable statement (quote the key phrase the "
    "answer must contain where possible), with signed points: essential (5), important (3) or optional (1) for "
    "content a good answer has, and pitfall (negative points, -3 to -6) for mistakes a plausible bad answer makes. "
    "Use only facts from the material. No duplicates, no vague criteria such as 'the answer is helpful'."
)


def rubric_schema() -> dict[str, Any]:
    """``{rubric: [{criterion, points, category}]}``."""
    entry = {
        "type": "object",
        "properties": {
            "criterion": {"type": "string"},
            "points": {"type": "number"},
            "category": {"enum": list(CATEGORIES)},
        },
        "required": ["criterion", "points", "category"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"rubric": {"type": "array", "items": entry}},
        "required": ["rubric"],
        "additionalProperties": False,
    }


_SCHEMA: Final = rubric_schema()


def rubric_request(model: str, question: str, material: str, source: Source, params: Mapping[str, Any]) -> ChatRequest:
    """The writer call for one row."""
    heading = "Reference answer" if source == "reference" else "Source document"
    user = f"Question:\n{question}\n\n{heading}:\n{material}"
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
    return ChatRequest(model, messages, "rubric", _SCHEMA, dict(params), "auto")


def read_rubric(reply: JudgeReply) -> list[dict[str, Any]]:
    """The raw criteria of a writer reply (not yet filtered).

    Raises:
        ValueError: a refusal, a cut reply, or no ``rubric`` list in it.
    """
    if reply.refusal:
        raise ValueError(f"the writer refused: {reply.refusal}")
    if reply.finish_reason == "length":
        raise ValueError("the writer's reply was cut at the token limit")
    verdict = last_object(reply.content or "", lambda o: isinstance(o.get("rubric"), list))
    if verdict is None:
        raise ValueError(f"no JSON object with a 'rubric' list in the writer's reply: {(reply.content or '')[:200]!r}")
    return [dict(c) for c in verdict["rubric"] if isinstance(c, Mapping)]
