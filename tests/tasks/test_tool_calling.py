"""tool_calling: reference calls are validated against the tool's own JSON Schema in the row's ``tools`` (a second
source of truth), and normalised values (dates, times, cents, codes) are re-derived from the request text with
parsers written here."""

from __future__ import annotations

import datetime as dt
import json
import re

import jsonschema
import pytest

from rft_kit.tasks import MIXED, generate, get_template, load_template_grader

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def date_from(text: str, today: dt.date) -> str | None:
    if m := re.search(r"on (\d{4}-\d{2}-\d{2})", text):
        return m[1]
    if "tomorrow" in text:
        return (today + dt.timedelta(days=1)).isoformat()
    if m := re.search(r"in (\d+) days", text):
        return (today + dt.timedelta(days=int(m[1]))).isoformat()
    if m := re.search(r"next (\w+day)", text):
        day = today + dt.timedelta(days=1)
        while WEEKDAYS[day.weekday()] != m[1]:  # walk forward instead of modular arithmetic
            day += dt.timedelta(days=1)
        return day.isoformat()
    return None


def time_from(text: str) -> str | None:
    if m := re.search(r"at (\d{2}):(\d{2})", text):
        return f"{m[1]}:{m[2]}"
    m = re.search(
        r"at (o'clock|quarter past|half past|quarter to)? ?(\d+)(?: o'clock)? in the (morning|afternoon)", text
    )
    if m is None:
        m2 = re.search(r"at (\d+) o'clock in the (morning|afternoon)", text)
        if m2 is None:
            return None
        hour = int(m2[1]) + (12 if m2[2] == "afternoon" and int(m2[1]) != 12 else 0)
        return f"{hour:02d}:00"
    hour = int(m[2])
    minute = {"quarter past": 15, "half past": 30, "quarter to": 45, None: 0, "o'clock": 0}[m[1]]
    if m[1] == "quarter to":
        hour -= 1
    if m[3] == "afternoon" and hour < 12:
        hour += 12
    return f"{hour:02d}:{minute:02d}"


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_reference_calls_satisfy_the_tool_schema_and_the_request(level: str) -> None:
    for item in generate("tool_calling", 400, seed=21, difficulty=level):
        tools = {t["function"]["name"]: t["function"] for t in item["tools"]}
        assert item["function"] in tools
        jsonschema.validate(item["arguments"], tools[item["function"]]["parameters"])
        today = dt.date.fromisoformat(re.search(r"Today is \w+, (\S+)\.", item["messages"][0]["content"])[1])  # type: ignore[index]
        request = item["messages"][-1]["content"]
        args = item["arguments"]
        if "date" in args:
            assert date_from(request, today) == args["date"], request
        if "start_time" in args:
            assert time_from(request) == args["start_time"], request
        if "amount_cents" in args:
            dollars = re.search(r"\$([\d,]+)\.(\d\d)", request)
            assert dollars is not None
            assert int(dollars[1].replace(",", "")) * 100 + int(dollars[2]) == args["amount_cents"]
        if "tracking_number" in args:
            assert args["tracking_number"] in request
        if "city" in args:
            assert args["city"] in request


def test_catalogue_grows_with_difficulty_and_keeps_the_target() -> None:
    sizes = {
        lvl: {len(i["tools"]) for i in generate("tool_calling", 50, seed=1, difficulty=lvl)}
        for lvl in ("easy", "medium", "hard")
    }
    assert sizes == {"easy": {3}, "medium": {6}, "hard": {12}}


def test_grader_scores_wrong_function_zero_and_wrong_argument_partially() -> None:
    gen = get_template("tool_calling")
    grader = load_template_grader(gen)
    item = next(i for i in generate(gen, 50, seed=3, difficulty=MIXED) if len(i["arguments"]) >= 2)
    sample = gen.reference_sample(item)
    call = sample["output_tools"][0]["function"]
    wrong_args = dict(item["arguments"])
    key = next(iter(wrong_args))
    wrong_args[key] = "something else"
    partial = grader.grade(
        {"output_tools": [{"type": "function", "function": {**call, "arguments": json.dumps(wrong_args)}}]}, item
    )
    assert 0.3 < partial.reward < 1.0
    other = next(t["function"]["name"] for t in item["tools"] if t["function"]["name"] != item["function"])
    wrong_fn = grader.grade({"output_tools": [{"type": "function", "function": {**call, "name": other}}]}, item)
    assert wrong_fn.reward == 0.0
