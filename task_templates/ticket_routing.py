"""Support-ticket routing: read a customer ticket and pick its queue (refund, billing, faq, escalation).

Ticket text comes from ``data/tickets.yaml``; harder levels remove the subject line, add typos and add a sentence
using another queue's vocabulary (the routing must follow the request, not keywords). Graded by
``graders/tasks/ticket_routing.yaml`` (exactly one label, equal to ``item.label``).
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

LABELS = ("refund", "billing", "faq", "escalation")

DEVELOPER = (
    "You route incoming customer-support tickets for an online electronics and home-goods retailer. Queues:\n"
    "- refund: the customer wants money back for an order (returns, cancellations, defective or wrong items).\n"
    "- billing: invoices, subscription charges, payment methods, duplicate charges, billing cycles.\n"
    "- faq: general product or policy questions that a help-centre article can answer.\n"
    "- escalation: safety hazards, data/privacy incidents, legal threats, or repeated failed contacts that need a "
    "manager.\n"
    "Reply with the queue name only: refund, billing, faq or escalation."
)


@cache
def _data() -> dict[str, Any]:
    path = Path(__file__).with_name("data") / "tickets.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True, kw_only=True)
class TicketConfig(TaskConfig):
    """Config of :class:`TicketRouting`.

    Attributes:
        labels: queues to draw from (uniformly, so sets are balanced).
        subject_line: include a subject line written by the customer.
        distractor_rate: probability of a sentence using another queue's vocabulary.
        typo_rate: probability, per word, of a transposed-letter typo.
    """

    labels: tuple[str, ...] = LABELS
    subject_line: bool = True
    distractor_rate: float = 0.0
    typo_rate: float = 0.0

    def validate(self) -> None:
        self.require_choices("labels", LABELS)
        for name in ("distractor_rate", "typo_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"must be between 0 and 1, got {value}", path=name)


_SUBJECTS = {
    "refund": ["Money back for my order", "Return request", "Refund still missing"],
    "billing": ["Invoice question", "Charge on my account", "Payment details"],
    "faq": ["Quick question", "Before I buy", "Product info"],
    "escalation": ["URGENT", "Complaint", "Need a manager"],
}


def _typos(rng: random.Random, text: str, rate: float) -> str:
    words = text.split(" ")
    for i, word in enumerate(words):
        # only long lowercase words: mangling numbers or order ids would change the facts
        if len(word) > 5 and word.isalpha() and word.islower() and rng.random() < rate:
            j = rng.randrange(1, len(word) - 2)
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


class TicketRouting(TaskGenerator[TicketConfig]):
    """Customer-support ticket classification into four queues."""

    name = "ticket_routing"
    domain = "customer support"
    version = "1.0"
    description = "route a support ticket to refund, billing, faq or escalation"
    grader = "rft:tasks/ticket_routing"
    config_cls = TicketConfig
    levels: ClassVar[Levels] = {
        "easy": {"subject_line": True, "distractor_rate": 0.0, "typo_rate": 0.0},
        "medium": {"subject_line": False, "distractor_rate": 0.3, "typo_rate": 0.02},
        "hard": {"subject_line": False, "distractor_rate": 0.9, "typo_rate": 0.06},
    }

    def draft(self, rng: random.Random, config: TicketConfig) -> Draft:
        data = _data()
        label = rng.choice(config.labels)
        name = f"{rng.choice(data['first_names'])} {rng.choice(data['last_names'])}"
        slots = {
            "product": rng.choice(data["products"]),
            "plan": rng.choice(data["plans"]),
            "order": f"#{rng.randint(100000, 999999)}",
            "amount": f"${rng.randint(19, 899)}.{rng.randint(0, 99):02d}",
            "date": f"{rng.randint(1, 28)} {rng.choice(['March', 'April', 'May', 'June', 'July'])}",
        }
        body = rng.choice(data["labels"][label]).format(**slots)
        if rng.random() < config.distractor_rate:
            body = f"{body} {rng.choice(data['distractors'][label])}"
        body = _typos(rng, body, config.typo_rate)
        parts = []
        if config.subject_line:
            parts.append(f"Subject: {rng.choice(_SUBJECTS[label])}\n")
        greeting = rng.choice(data["greetings"])
        if greeting:
            parts.append(greeting)
        parts.append(body)
        parts.append(f"{rng.choice(data['signoffs'])}\n{name}")
        ticket = "\n\n".join(parts)
        return Draft(
            messages=[
                {"role": "developer", "content": DEVELOPER},
                {"role": "user", "content": f"Route this ticket.\n\n---\n{ticket}\n---"},
            ],
            reference={"label": label},
            info={"label": label},
        )

    def reference_sample(self, item: Item) -> str:
        return str(item["label"])
