"""Structured extraction: pull the header fields of a generated invoice into JSON.

The invoice is rendered as the text a PDF-to-text pass gives: varying layouts, date formats, number formats (European
``1.234,56`` for EUR/SEK vendors at hard level), and noise lines (previous balance, payment reminders, page footers)
that carry other dates and amounts. Money is computed with :class:`decimal.Decimal` and rounded half-up to cents,
like an invoicing system. Graded field by field by ``graders/tasks/invoice_extraction.yaml`` (multi).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import yaml

from rft_kit.errors import ConfigError
from rft_kit.records import Item
from rft_kit.tasks.base import Draft, Levels, TaskConfig, TaskGenerator

DEVELOPER = (
    "You extract accounts-payable data from supplier invoices. Return only a JSON object with these keys: "
    '"vendor" (the supplier\'s legal name), "invoice_number" (exactly as printed), "invoice_date" (ISO 8601, '
    'YYYY-MM-DD), "currency" (ISO 4217 code), "total" (the amount due on this invoice including tax, as a number '
    'without currency symbols or thousands separators) and "line_items" (the number of billed lines).'
)

DATE_FORMATS = {
    "iso": "%Y-%m-%d",
    "long": "%d %B %Y",
    "us": "%B %d, %Y",
    "dotted": "%d.%m.%Y",
}
CENT = Decimal("0.01")


@cache
def _data() -> dict[str, Any]:
    path = Path(__file__).with_name("data") / "invoices.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True, kw_only=True)
class InvoiceConfig(TaskConfig):
    """Config of :class:`InvoiceExtraction`.

    Attributes:
        min_lines: fewest billed lines.
        max_lines: most billed lines.
        date_formats: how the invoice date may be printed (keys of ``DATE_FORMATS``).
        noise_lines: how many distractor lines (previous balance, reminders, footers) to add.
        european_numbers: print EUR/SEK amounts as ``1.234,56``.
    """

    min_lines: int = 1
    max_lines: int = 4
    date_formats: tuple[str, ...] = ("iso", "long")
    noise_lines: int = 0
    european_numbers: bool = False

    def validate(self) -> None:
        self.require_range("min_lines", "max_lines", minimum=1)
        self.require_choices("date_formats", tuple(DATE_FORMATS))
        if not 0 <= self.noise_lines <= 4:
            raise ConfigError(f"must be between 0 and 4, got {self.noise_lines}", path="noise_lines")


def money(value: Decimal, *, european: bool) -> str:
    """Format an amount with thousands separators, in English (1,234.56) or European (1.234,56) style."""
    text = f"{value:,.2f}"
    return text.translate(str.maketrans(",.", ".,")) if european else text


def _right(label: str, amount: str, width: int = 75) -> str:
    """A footer line with the amount right-aligned under the Amount column."""
    return f"{label}{amount:>{width - len(label)}}"


class InvoiceExtraction(TaskGenerator[InvoiceConfig]):
    """Invoice header extraction into JSON."""

    name = "invoice_extraction"
    domain = "finance operations (accounts payable)"
    version = "1.0"
    description = "extract vendor, number, ISO date, currency, total and line count from an invoice's text"
    grader = "rft:tasks/invoice_extraction"
    config_cls = InvoiceConfig
    levels: ClassVar[Levels] = {
        "easy": {"min_lines": 1, "max_lines": 2, "date_formats": ("iso",), "noise_lines": 0},
        "medium": {"min_lines": 2, "max_lines": 4, "date_formats": ("iso", "long", "us"), "noise_lines": 1},
        "hard": {
            "min_lines": 3,
            "max_lines": 7,
            "date_formats": ("long", "us", "dotted"),
            "noise_lines": 3,
            "european_numbers": True,
        },
    }

    def draft(self, rng: random.Random, config: InvoiceConfig) -> Draft:
        data = _data()
        vendor = rng.choice(data["vendors"])
        european = config.european_numbers and vendor["currency"] in ("EUR", "SEK")
        issued = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(730))
        due = issued + dt.timedelta(days=rng.choice((14, 30, 45)))
        date_format = DATE_FORMATS[rng.choice(config.date_formats)]
        number = rng.choice(("INV-{y}-{n:05d}", "{n:06d}", "{c}{y}/{n:04d}")).format(
            y=issued.year, n=rng.randint(1, 99999), c=vendor["name"][:2].upper()
        )
        picked = rng.sample(data["lines"], rng.randint(config.min_lines, config.max_lines))
        rate = Decimal(rng.choice(vendor["tax_rates"]))
        rows, subtotal = [], Decimal(0)
        for line in picked:
            qty = rng.randint(1, 12)
            amount = (Decimal(line["price"]) * qty).quantize(CENT, ROUND_HALF_UP)
            subtotal += amount
            rows.append(
                f"  {line['description']:<44} {qty:>3} x {money(Decimal(line['price']), european=european):>9}"
                f"   {money(amount, european=european):>10}"
            )
        tax = (subtotal * rate / 100).quantize(CENT, ROUND_HALF_UP)
        total = subtotal + tax
        cur = vendor["currency"]
        noise = [
            f"Previous balance carried forward: {money(Decimal(rng.randint(50, 5000)), european=european)} {cur} "
            f"(settled {(issued - dt.timedelta(days=rng.randint(20, 60))).strftime(date_format)})",
            f"Payment reminder: amounts unpaid after {due.strftime(date_format)} incur a "
            f"{money(Decimal(rng.randint(10, 40)), european=european)} {cur} late fee.",
            f"Page 1 of 1 - printed {(issued + dt.timedelta(days=rng.randint(1, 5))).strftime(date_format)}",
            f"Purchase order ref: PO-{rng.randint(1000, 9999)} / cost centre {rng.randint(100, 999)}",
        ]
        rng.shuffle(noise)
        customer = rng.choice(data["customers"])
        header = [
            vendor["name"],
            f"{rng.randint(1, 250)} High Street, {vendor['city']}",
            "",
            f"{rng.choice(('INVOICE', 'Tax Invoice', 'Invoice'))}",
            f"Invoice no.: {number}",
            f"Invoice date: {issued.strftime(date_format)}",
            f"Due date: {due.strftime(date_format)}",
            f"Bill to: {customer}",
            "",
            "  Description                                  Qty   Unit price       Amount",
        ]
        footer = [
            "",
            _right("  Subtotal", money(subtotal, european=european)),
            _right(f"  {vendor['vat_label']} {rate}%", money(tax, european=european)),
            _right(f"  TOTAL DUE ({cur})", money(total, european=european)),
        ]
        lines = header + rows + footer
        if config.noise_lines:
            lines += ["", *noise[: config.noise_lines]]
        document = "\n".join(lines)
        expected = {
            "vendor": vendor["name"],
            "invoice_number": number,
            "invoice_date": issued.isoformat(),
            "currency": cur,
            "total": f"{total:.2f}",
            "line_items": len(rows),
        }
        return Draft(
            messages=[
                {"role": "developer", "content": DEVELOPER},
                {"role": "user", "content": f"Extract the invoice fields from this document:\n\n{document}"},
            ],
            reference={"expected": expected},
            info={"currency": cur, "line_items": len(rows)},
        )

    def reference_sample(self, item: Item) -> str:
        expected = dict(item["expected"])
        expected["total"] = float(expected["total"])
        return json.dumps(expected)
