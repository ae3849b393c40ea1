"""invoice_extraction: every reference field is re-derived from the rendered document text (what the model reads):
the total is recomputed from quantities, unit prices and the tax rate with Fraction and half-up rounding, the date
is parsed back from whichever format was printed, and the line count is counted."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

import pytest

from rft_kit.tasks import MIXED, generate, get_template, load_template_grader

_ROW = re.compile(r"^  (?P<desc>.+?)\s+(?P<qty>\d+) x\s+(?P<unit>[\d.,]+)\s+(?P<amount>[\d.,]+)$", re.M)
_TAX = re.compile(r"^  .+? (?P<rate>[\d.]+)%\s+[\d.,]+$", re.M)
_TOTAL = re.compile(r"TOTAL DUE \((?P<cur>[A-Z]{3})\)\s+(?P<total>[\d.,]+)")


def number(text: str) -> Fraction:
    """Parse 1,234.56 or 1.234,56: the separator before the last two digits is the decimal point."""
    decimal = text[-3]
    digits = text.replace("," if decimal == "." else ".", "").replace(decimal, ".")
    return Fraction(digits)


def half_up(value: Fraction) -> Fraction:
    return Fraction(int(value * 100 + Fraction(1, 2)), 100)


def parse_date(text: str) -> str:
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise AssertionError(f"unparsable date {text!r}")


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_reference_fields_are_rederived_from_the_document(level: str) -> None:
    for item in generate("invoice_extraction", 300, seed=31, difficulty=level):
        doc = item["messages"][-1]["content"]
        expected = item["expected"]
        rows = _ROW.findall(doc)
        assert len(rows) == expected["line_items"]
        subtotal = sum(half_up(int(qty) * number(unit)) for _, qty, unit, _ in rows)
        rate = Fraction(_TAX.search(doc)["rate"])  # type: ignore[index]
        total = subtotal + half_up(subtotal * rate / 100)
        printed = _TOTAL.search(doc)
        assert printed is not None
        assert number(printed["total"]) == total == Fraction(expected["total"])
        assert printed["cur"] == expected["currency"]
        assert doc.splitlines()[2] == expected["vendor"]
        assert f"Invoice no.: {expected['invoice_number']}\n" in doc
        date_text = re.search(r"Invoice date: (.+)", doc)[1]  # type: ignore[index]
        assert parse_date(date_text) == expected["invoice_date"]


def test_hard_invoices_carry_distractor_amounts_and_european_numbers() -> None:
    items = list(generate("invoice_extraction", 200, seed=2, difficulty="hard"))
    assert all(
        "Previous balance" in i["messages"][-1]["content"] or "late fee" in i["messages"][-1]["content"] for i in items
    )
    euro = [i for i in items if i["expected"]["currency"] in ("EUR", "SEK")]
    assert euro and all(re.search(r"\d,\d\d\b", i["messages"][-1]["content"]) for i in euro)


def test_grader_gives_partial_credit_field_by_field() -> None:
    gen = get_template("invoice_extraction")
    grader = load_template_grader(gen)
    item = next(generate(gen, 1, seed=5, difficulty=MIXED))
    import json

    answer = json.loads(gen.reference_sample(item))
    answer["total"] = answer["total"] + 10
    result = grader.grade(json.dumps(answer), item)
    assert 0.6 < result.reward < 0.7
    assert result.sub_rewards["total"] == 0.0
