"""ticket_routing: labels are checked two ways that share nothing with the generator: a hand-written reading of the
routing policy on clear tickets, and a classifier trained on one seed that must predict another seed's labels
(a label attached to the wrong text would show up as disagreement)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from rft_kit.tasks import MIXED, generate, get_template, load_template_grader

from ._classify import NaiveBayes

# the policy in the developer message, as cue phrases (negated mentions like "I don't want a refund" are cut first)
POLICY = {
    "escalation": r"manager|safety|smok|data breach|lawyer|consumer protection|formal response|fourth time|urgent",
    "refund": r"money back|refund|reimburse|returned to my card|credited back|return it",
    "billing": r"invoice|charged twice|credit card on file|vat number|billing cycle|renewal",
    "faq": r"\?",
}
NEGATED = re.compile(
    r"(i don't want a refund[^.]*\.|i'm not (asking|looking)[^.]*\.|not a billing question\.|a refund alone[^.]*\."
    r"|please don't escalate[^.]*\.|no complaint here[^.]*\.|i've read the faq[^.]*\.)"
)


def read_ticket(text: str) -> str:
    body = NEGATED.sub(" ", text.lower().split("---")[1])
    for label, cue in POLICY.items():
        if re.search(cue, body):
            return label
    return "none"


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_policy_reading_agrees_with_every_label(level: str) -> None:
    # typos are switched off here: they change spelling, never the request, and would defeat exact cue phrases
    items = list(generate("ticket_routing", 600, seed=3, difficulty=level, overrides={"typo_rate": 0.0}))
    wrong = [
        (i["label"], i["messages"][-1]["content"])
        for i in items
        if read_ticket(i["messages"][-1]["content"]) != i["label"]
    ]
    assert not wrong, wrong[:3]


def test_labels_are_learnable_across_seeds() -> None:
    def data(seed: int) -> tuple[list[str], list[str]]:
        items = list(generate("ticket_routing", 1200, seed=seed, difficulty=MIXED))
        return [i["messages"][-1]["content"] for i in items], [i["label"] for i in items]

    model = NaiveBayes().fit(*data(1))
    texts, labels = data(2)
    accuracy = sum(model.predict(t) == y for t, y in zip(texts, labels, strict=True)) / len(texts)
    assert accuracy >= 0.95


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_queues_are_balanced(level: str) -> None:
    counts = Counter(i["label"] for i in generate("ticket_routing", 800, seed=5, difficulty=level))
    assert set(counts) == {"refund", "billing", "faq", "escalation"}
    assert max(counts.values()) / min(counts.values()) < 1.4


def test_hard_tickets_mention_other_queues() -> None:
    hard = list(generate("ticket_routing", 300, seed=6, difficulty="hard"))
    crossing = [
        i
        for i in hard
        if any(w in i["messages"][-1]["content"].lower() for w in ("refund", "billing", "faq", "escalate"))
        and i["label"] not in i["messages"][-1]["content"].lower()
    ]
    assert len(crossing) > 30


def test_grader_refuses_hedging() -> None:
    gen = get_template("ticket_routing")
    grader = load_template_grader(gen)
    item = next(generate(gen, 1, seed=0))
    assert grader.grade(item["label"], item).reward == 1.0
    assert grader.grade("refund, billing, faq or escalation", item).reward == 0.0
