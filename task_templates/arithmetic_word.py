"""Multi-step word problems with an exact rational answer (fractions.Fraction throughout, never floats).

A story starts from an amount and applies a chain of operations (use a fixed amount, use a fraction of what remains,
receive more, grow by a percentage, split equally). The answer is the final amount as a reduced fraction or integer.
Scenarios (nouns, purposes, containers) live in ``data/arithmetic_scenarios.yaml``; this module holds only the
procedure. Graded by ``graders/tasks/arithmetic_word.yaml`` (numeric, final answer).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import yaml

from rft_kit.errors import ConfigError
from rft_kit.records import Item
from rft_kit.tasks.base import Draft, Levels, TaskConfig, TaskGenerator, between, pick

OPERATIONS = ("use_amount", "use_fraction", "receive", "grow_percent", "split")

DEVELOPER = (
    "You are a careful quantitative assistant. Work through the problem step by step, keeping every intermediate "
    "value exact (use fractions, never rounded decimals). End with a final line of the form 'Answer: <value>', where "
    "<value> is an integer or a fraction in lowest terms such as 17/4."
)


@cache
def _scenarios() -> list[dict[str, Any]]:
    path = Path(__file__).with_name("data") / "arithmetic_scenarios.yaml"
    data: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))["scenarios"]
    return data


@dataclass(frozen=True, kw_only=True)
class ArithmeticConfig(TaskConfig):
    """Config of :class:`ArithmeticWordProblems`.

    Attributes:
        min_steps: fewest operations in the chain.
        max_steps: most operations in the chain.
        max_start: largest starting amount (an integer, at least 12).
        operations: which operations may appear.
        max_denominator: largest denominator of a "fraction of what remains".
    """

    min_steps: int = 2
    max_steps: int = 3
    max_start: int = 120
    operations: tuple[str, ...] = OPERATIONS
    max_denominator: int = 4

    def validate(self) -> None:
        self.require_range("min_steps", "max_steps", minimum=1)
        if self.max_start < 12:
            raise ConfigError(f"must be >= 12, got {self.max_start}", path="max_start")
        self.require_choices("operations", OPERATIONS)
        if self.max_denominator < 2:
            raise ConfigError(f"must be >= 2, got {self.max_denominator}", path="max_denominator")


def _format(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


class ArithmeticWordProblems(TaskGenerator[ArithmeticConfig]):
    """Exact-answer multi-step word problems over rationals."""

    name = "arithmetic_word"
    domain = "quantitative reasoning"
    version = "1.0"
    description = "multi-step word problems with exact rational answers (fractions, percentages, equal splits)"
    grader = "rft:tasks/arithmetic_word"
    config_cls = ArithmeticConfig
    levels: ClassVar[Levels] = {
        "easy": {"min_steps": 2, "max_steps": 2, "max_start": 60, "operations": ("use_amount", "receive", "split")},
        "medium": {"min_steps": 3, "max_steps": 4, "max_start": 120, "max_denominator": 4},
        "hard": {"min_steps": 5, "max_steps": 6, "max_start": 480, "max_denominator": 9},
    }

    def draft(self, rng: random.Random, config: ArithmeticConfig) -> Draft:
        scenario = pick(rng, _scenarios())
        # each step builds one Fraction from integer numerator and denominator: exact, and without the temporaries
        # of mixed Fraction operators (this loop is the generator's hot path)
        amount = Fraction(between(rng, 12, config.max_start))
        sentences = [scenario["opening"].format(start=amount)]
        steps = between(rng, config.min_steps, config.max_steps)
        split_into: int | None = None
        for step in range(steps):
            op = pick(rng, config.operations)
            # a split ends the story: everything after it would be about one share, which reads badly
            if op == "split" and step != steps - 1:
                op = "use_fraction" if "use_fraction" in config.operations else "receive"
            if op == "use_amount" and amount < 2:
                op = "receive"
            if op == "use_amount":
                taken = between(rng, 1, max(1, int(amount) - 1))
                amount = Fraction(amount.numerator - taken * amount.denominator, amount.denominator)
                sentences.append(f"Then {taken} {scenario['unit']} are used for {pick(rng, scenario['purposes'])}.")
            elif op == "use_fraction":
                q = between(rng, 2, config.max_denominator)
                p = between(rng, 1, q - 1)
                g = math.gcd(p, q)
                amount = Fraction(amount.numerator * (q - p), amount.denominator * q)
                sentences.append(
                    f"Next, {scenario['actor']} uses {p // g}/{q // g} of what remains for "
                    f"{pick(rng, scenario['purposes'])}."
                )
            elif op == "receive":
                extra = between(rng, 1, max(2, config.max_start // 4))
                amount = Fraction(amount.numerator + extra * amount.denominator, amount.denominator)
                sentences.append(f"Later, {pick(rng, scenario['growth_reasons'])}, adding {extra} {scenario['unit']}.")
            elif op == "grow_percent":
                pct = pick(rng, (5, 10, 12, 15, 20, 25, 30, 40, 50))
                amount = Fraction(amount.numerator * (100 + pct), amount.denominator * 100)
                sentences.append(f"Because {pick(rng, scenario['growth_reasons'])}, the amount grows by {pct}%.")
            else:
                split_into = between(rng, 2, 8)
                amount = Fraction(amount.numerator, amount.denominator * split_into)
                sentences.append(
                    f"Finally, what is left is divided equally among {split_into} {pick(rng, scenario['containers'])}."
                )
        if split_into is not None:
            question = f"{scenario['question']} does each share receive?"
        else:
            question = f"{scenario['question']} are left at the end?"
        user = " ".join(sentences) + f" {question}"
        return Draft(
            messages=[{"role": "developer", "content": DEVELOPER}, {"role": "user", "content": user}],
            reference={"answer": _format(amount)},
            info={"scenario": scenario["name"], "steps": steps},
        )

    def reference_sample(self, item: Item) -> str:
        return f"Working through each step exactly gives the final amount.\nAnswer: {item['answer']}"
