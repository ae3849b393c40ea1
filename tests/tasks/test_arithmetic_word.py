"""arithmetic_word: the reference is re-derived by parsing the prompt the model reads (a second solver that never
sees the generator's internal state), with exact Fraction arithmetic."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from rft_kit.tasks import MIXED, generate, get_template, load_template_grader

_START = re.compile(r"(?:starts the morning with|holds|has a roll of|has a budget of|leaves the depot with) (\d+)")
_STEP = re.compile(
    r"Then (?P<used>\d+) \w+ are used"
    r"|uses (?P<p>\d+)/(?P<q>\d+) of what remains"
    r"|adding (?P<added>\d+) \w+"
    r"|grows by (?P<pct>\d+)%"
    r"|divided equally among (?P<k>\d+)"
)


def solve_from_text(text: str) -> Fraction:
    """Read the story left to right and apply each operation as the words say."""
    start = _START.search(text)
    assert start is not None, text
    amount = Fraction(int(start.group(1)))
    for m in _STEP.finditer(text, start.end()):
        if m["used"]:
            amount = amount - int(m["used"])
        elif m["p"]:
            amount = amount * (1 - Fraction(int(m["p"]), int(m["q"])))
        elif m["added"]:
            amount = amount + int(m["added"])
        elif m["pct"]:
            amount = amount * Fraction(100 + int(m["pct"]), 100)
        else:
            amount = amount / int(m["k"])
    return amount


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_reference_matches_an_independent_reading_of_the_prompt(level: str) -> None:
    for item in generate("arithmetic_word", 400, seed=77, difficulty=level):
        text = item["messages"][-1]["content"]
        steps = len(_STEP.findall(text))
        assert steps == item["metadata"]["steps"], text
        assert Fraction(item["answer"]) == solve_from_text(text), text


def test_answers_are_reduced_and_positive() -> None:
    for item in generate("arithmetic_word", 500, seed=1, difficulty=MIXED):
        value = Fraction(item["answer"])
        assert value > 0
        lowest = str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
        assert item["answer"] == lowest


def test_hard_problems_need_fractions_more_often_than_easy_ones() -> None:
    def share(level: str) -> float:
        items = list(generate("arithmetic_word", 300, seed=4, difficulty=level))
        return sum("/" in i["answer"] for i in items) / len(items)

    assert share("hard") > share("easy")


def test_grader_rejects_a_rounded_decimal_and_an_off_by_one_step() -> None:
    gen = get_template("arithmetic_word")
    grader = load_template_grader(gen)
    item = next(i for i in generate(gen, 200, seed=8, difficulty="hard") if "/" in i["answer"] and "/3" in i["answer"])
    rounded = f"Answer: {float(Fraction(item['answer'])):.2f}"
    assert grader.grade(rounded, item).reward == 0.0
    wrong = Fraction(item["answer"]) + 1
    assert grader.grade(f"Answer: {wrong.numerator}/{wrong.denominator}", item).reward == 0.0
