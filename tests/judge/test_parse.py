"""Strict verdict parsing: the last well-formed JSON object that passes the check, nothing else."""

from __future__ import annotations

import pytest

from rft_kit.graders.judge_base import ReplyError, is_number, read_verdict
from rft_kit.judge.calls import JudgeReply
from rft_kit.judge.ledger import Usage
from rft_kit.judge.parse import json_objects, last_object


def has_score(obj: dict) -> bool:
    return is_number(obj.get("result"))


def reply(content: str | None, *, refusal: str | None = None, finish: str = "stop") -> JudgeReply:
    return JudgeReply(content, refusal, finish, Usage(10, 5, 15, 0), "m", "none")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"steps": [], "result": 0.5}', 0.5),
        ('Example: {"result": 0}. My verdict: {"steps": [], "result": 0.75}', 0.75),
        ('{"result": 0.25} and then {"result": "high"}', 0.25),  # the last *acceptable* object wins
        ('```json\n{"result": 1}\n```', 1),
        ('{"outer": {"result": 0.9}}', None),  # nested objects are not verdicts
        ('{"result": NaN}', None),
        ('{"result": Infinity}', None),
        ('{"result": true}', None),
        ('{"result": "0.5"}', None),
        ('{"result": 0.5', None),
        ("the score is 0.5", None),
        ("", None),
    ],
)
def test_last_object_with_a_numeric_result(text: str, expected: float | None) -> None:
    found = last_object(text, has_score)
    assert (found["result"] if found else None) == expected


def test_json_objects_skips_broken_braces_and_lists_top_level_objects_in_order() -> None:
    assert json_objects('{ broken {"a": 1} x {"b": {"c": 2}}') == [{"a": 1}, {"b": {"c": 2}}]


def test_read_verdict_flags() -> None:
    with pytest.raises(ReplyError) as refused:
        read_verdict(reply(None, refusal="no"), has_score, "a number")
    assert refused.value.flag == "model_grader_refusal_error"
    with pytest.raises(ReplyError) as filtered:
        read_verdict(reply("", finish="content_filter"), has_score, "a number")
    assert filtered.value.flag == "model_grader_refusal_error"
    with pytest.raises(ReplyError) as cut:
        read_verdict(reply('{"steps": [], "result": 1}', finish="length"), has_score, "a number")
    assert cut.value.flag == "model_grader_exceeded_max_tokens_error"  # even when what came back parses
    with pytest.raises(ReplyError) as garbage:
        read_verdict(reply('{"result": "high"}'), has_score, "a numeric 'result'")
    assert garbage.value.flag == "model_grader_parse_error" and "high" in garbage.value.message
    assert read_verdict(reply('{"result": -2}'), has_score, "n")["result"] == -2
