"""Contract clause classification (legal review): label one clause of a commercial agreement with its type.

Clause wordings live in ``data/contract_clauses.yaml``. Easy clauses keep their heading; medium ones lose it; hard
ones also open with a cross-reference that names another clause type and may carry a misleading heading copied from a
badly drafted template (the operative words decide). Graded by ``graders/tasks/contract_clauses.yaml``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import yaml

from rft_kit.errors import ConfigError
from rft_kit.records import Item
from rft_kit.tasks.base import Draft, Levels, TaskConfig, TaskGenerator

CLAUSE_TYPES = (
    "termination",
    "indemnification",
    "limitation_of_liability",
    "confidentiality",
    "governing_law",
    "assignment",
    "force_majeure",
    "payment_terms",
)

DEVELOPER = (
    "You are a contract analyst supporting a legal operations team. Classify the clause you are given into exactly "
    "one of these types, judging by its operative obligations rather than its heading or cross-references: "
    + ", ".join(CLAUSE_TYPES)
    + ". Reply with the type only, spelled exactly as listed."
)


@cache
def _data() -> dict[str, Any]:
    path = Path(__file__).with_name("data") / "contract_clauses.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True, kw_only=True)
class ClauseConfig(TaskConfig):
    """Config of :class:`ContractClauses`.

    Attributes:
        clause_types: types to draw from (uniformly).
        heading: "true" keeps the clause heading, "none" drops it, "misleading" sometimes shows another type's heading.
        cross_reference_rate: probability of an opening cross-reference naming another clause type.
    """

    clause_types: tuple[str, ...] = CLAUSE_TYPES
    heading: str = "true"
    cross_reference_rate: float = 0.0

    def validate(self) -> None:
        self.require_choices("clause_types", CLAUSE_TYPES)
        if self.heading not in ("true", "none", "misleading"):
            raise ConfigError(f"must be 'true', 'none' or 'misleading', got {self.heading!r}", path="heading")
        if not 0.0 <= self.cross_reference_rate <= 1.0:
            raise ConfigError(f"must be between 0 and 1, got {self.cross_reference_rate}", path="cross_reference_rate")


class ContractClauses(TaskGenerator[ClauseConfig]):
    """Clause-type classification for commercial contracts."""

    name = "contract_clauses"
    domain = "legal (contract review)"
    version = "1.0"
    description = "classify a commercial-contract clause into one of eight clause types"
    grader = "rft:tasks/contract_clauses"
    config_cls = ClauseConfig
    levels: ClassVar[Levels] = {
        "easy": {"heading": "true", "cross_reference_rate": 0.0},
        "medium": {"heading": "none", "cross_reference_rate": 0.3},
        "hard": {"heading": "misleading", "cross_reference_rate": 0.8},
    }

    def draft(self, rng: random.Random, config: ClauseConfig) -> Draft:
        data = _data()
        label = rng.choice(config.clause_types)
        a, b = rng.choice(data["parties"])
        law, courts = rng.choice(data["jurisdictions"])
        section = rng.randint(2, 18)
        others = [t for t in CLAUSE_TYPES if t != label]
        text = rng.choice(data["clauses"][label]).format(
            a=a,
            b=b,
            days=rng.choice((10, 14, 30, 45, 60, 90)),
            months=rng.choice((6, 12, 24, 36)),
            law=law,
            courts=courts,
            cap=rng.choice((50, 100, 125, 150, 200)),
            rate=rng.choice((2, 3, 4, 8)),
        )
        if rng.random() < config.cross_reference_rate:
            other = data["headings"][rng.choice(others)]
            # the clause reads on after the cross-reference, so its first letter is no longer sentence-initial
            opener = rng.choice(data["cross_references"]).format(section=section + 1, other=other)
            text = f"{opener} {text[0].lower()}{text[1:]}" if not text.startswith((a, b)) else f"{opener} {text}"
        heading = ""
        if config.heading == "true":
            heading = data["headings"][label]
        elif config.heading == "misleading":
            heading = data["headings"][rng.choice(others)] if rng.random() < 0.5 else ""
        clause = f"{section}.{rng.randint(1, 6)} {heading + '. ' if heading else ''}{text}"
        user = f"Agreement between {a} and {b}.\n\nClause under review:\n\n{clause}\n\nWhat type of clause is this?"
        return Draft(
            messages=[{"role": "developer", "content": DEVELOPER}, {"role": "user", "content": user}],
            reference={"label": label},
            info={"label": label},
        )

    def reference_sample(self, item: Item) -> str:
        return str(item["label"])
