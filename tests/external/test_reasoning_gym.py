"""The grader library against reasoning-gym's task generators (installed with the ``bench`` extra).

For each task, the generator's own reference answer is written in the phrasings models use; it must score full
marks with the matching library grader in the phrasings that grader documents (graders/README.md). Deliberately
wrong answers (an integer off by one, a decimal off in its last digit, a list reordered or cut short, a word
reversed or replaced by another entry's answer) go through every phrasing, and reasoning-gym's own ``score_answer``
must agree that each one is wrong before it counts. The rule: no library grader gives full marks to any of them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import rft_kit

from .conftest import record

reasoning_gym = pytest.importorskip("reasoning_gym")

GRADERS = Path(__file__).resolve().parents[2] / "graders"

PHRASINGS: dict[str, Callable[[str], str]] = {
    "bare": lambda a: a,
    "sentence": lambda a: f"The answer is {a}.",
    "label": lambda a: f"**Final answer:** {a}",
    "boxed": lambda a: f"Working through it step by step gives the result.\n\nSo the answer is $\\boxed{{{a}}}$.",
    "final_is": lambda a: f"Let me think about this carefully.\n\nThe final answer is {a}",
    "trailing": lambda a: f"{a}\n\nI worked this out step by step and checked it.",
}

# reasoning-gym task -> how many entries; grouped by the library grader a user would pick for it.
NUMBER_TASKS = (
    "basic_arithmetic",
    "chain_sum",
    "gcd",
    "lcm",
    "letter_counting",
    "count_bits",
    "products",
    "leg_counting",
    "count_primes",
    "simple_equations",
    "decimal_chain_sum",
    "dice",
    "polynomial_equations",
    "number_sorting",
)
WORD_TASKS = (
    "spell_backward",
    "family_relationships",
    "calendar_arithmetic",
    "needle_haystack",
    "caesar_cipher",
    "sentence_reordering",
    "word_sorting",
    "word_sequence_reversal",
    "isomorphic_strings",
)
MATH_TASKS = (
    "basic_arithmetic",
    "products",
    "lcm",
    "simple_equations",
    "dice",
    "polynomial_equations",
    "spell_backward",
)


@dataclass(frozen=True)
class Library:
    """A library grader, the tasks it is meant for, and the phrasings it documents accepting."""

    file: str
    tasks: tuple[str, ...]
    accepts: tuple[str, ...]
    entries: int
    word_accepts: tuple[str, ...] | None = None  # for word answers, when they differ

    def documented(self, task: str) -> tuple[str, ...]:
        if task in WORD_TASKS and self.word_accepts is not None:
            return self.word_accepts
        return self.accepts


LIBRARY = (
    Library("exact_answer.yaml", NUMBER_TASKS[:6] + WORD_TASKS, ("bare",), 12),
    Library(
        "normalized_answer.yaml", NUMBER_TASKS[:6] + WORD_TASKS, ("bare", "sentence", "label", "boxed", "trailing"), 12
    ),
    Library("numeric_answer.yaml", NUMBER_TASKS, ("bare", "sentence", "label", "boxed", "final_is", "trailing"), 12),
    # math-verify extracts a word only from \boxed{}; numbers also after "final answer is"
    Library("math_answer.yaml", MATH_TASKS, ("boxed", "final_is"), 5, word_accepts=("boxed",)),
)


def _entries(task: str, n: int) -> list[dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset = reasoning_gym.create_dataset(task, size=n, seed=19)
        return [{**dataset[i], "_dataset": dataset} for i in range(n)]


def _rg_score(entry: dict[str, Any], answer: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(entry["_dataset"].score_answer(answer=answer, entry=entry))


_INT = re.compile(r"^-?\d+$")
_DEC = re.compile(r"^-?\d+\.\d+$")
_FRAC = re.compile(r"^(-?\d+)/(\d+)$")


def _bump_last_digit(text: str) -> str:
    for pos in range(len(text) - 1, -1, -1):
        if text[pos].isdigit():
            return text[:pos] + str((int(text[pos]) + 1) % 10) + text[pos + 1 :]
        if text[pos] in "abcdef":
            return text[:pos] + ("0" if text[pos] == "f" else chr(ord(text[pos]) + 1)) + text[pos + 1 :]
    return text + "x"


def wrong_answers(answer: str, others: list[str]) -> Iterator[tuple[str, str]]:
    """(kind, wrong answer) pairs in the ways models get answers wrong."""
    answer = answer.strip()
    if _INT.match(answer):
        yield "integer off by one", str(int(answer) + 1)
        yield "integer off by one", str(int(answer) - 1)
    elif _DEC.match(answer):
        yield "decimal off in the last digit", _bump_last_digit(answer)
    elif frac := _FRAC.match(answer):
        yield "fraction off by one", f"{int(frac.group(1)) + 1}/{frac.group(2)}"
    elif answer in ("True", "False"):
        yield "boolean flipped", "False" if answer == "True" else "True"
    elif answer.startswith("[") and answer.endswith("]"):
        items = [i.strip() for i in answer[1:-1].split(",") if i.strip()]
        if len(items) > 1:
            yield "list reordered", "[" + ", ".join(reversed(items)) + "]"
            yield "list cut short", "[" + ", ".join(items[:-1]) + "]"
    elif ", " in answer:
        items = answer.split(", ")
        yield "list reordered", ", ".join(reversed(items))
        yield "list cut short", ", ".join(items[:-1])
    elif re.search(r"\d", answer):
        yield "value off in the last digit", _bump_last_digit(answer)
    else:
        yield "word reversed", answer[::-1]
        if " " in answer:
            yield "words reordered", " ".join(reversed(answer.split(" ")))
    for other in others[:2]:
        yield "another entry's answer", other


@dataclass
class Tally:
    right: int = 0
    right_accepted: int = 0
    wrong: int = 0
    wrong_paid: int = 0
    errors: int = 0

    def line(self, name: str) -> str:
        return (
            f"reasoning-gym, graders/{name}: reference answers in its phrasings accepted {self.right_accepted}/"
            f"{self.right} ({self.right_accepted / max(self.right, 1):.1%}); known-wrong answers refused "
            f"{self.wrong - self.wrong_paid}/{self.wrong}; errors {self.errors}"
        )


@pytest.mark.parametrize("library", LIBRARY, ids=lambda lib: lib.file)
def test_reference_answers_pass_and_wrong_answers_never_score_full_marks(library: Library) -> None:
    grader = rft_kit.load_grader(GRADERS / library.file)
    tally = Tally()
    refused: list[str] = []
    paid: list[str] = []
    other_phrasings: dict[str, list[int]] = {}
    for task in library.tasks:
        entries = _entries(task, library.entries)
        answers = [str(e["answer"]) for e in entries]
        for entry in entries:
            answer = str(entry["answer"])
            assert _rg_score(entry, answer) == 1.0, (task, answer)  # the generator's own scorer agrees
            item = {"answer": answer}
            for phrasing, phrase in PHRASINGS.items():
                result = grader.grade(phrase(answer), item)
                tally.errors += result.status != "scored"
                if phrasing in library.documented(task):
                    tally.right += 1
                    if result.status == "scored" and result.reward >= 1.0:
                        tally.right_accepted += 1
                    else:
                        refused.append(f"{task} {phrasing}: {answer!r}")
                else:
                    other_phrasings.setdefault(phrasing, [0, 0])[1] += 1
                    other_phrasings[phrasing][0] += int(result.reward >= 1.0)
            others = [a for a in answers if a != answer]
            for kind, wrong in wrong_answers(answer, others):
                if wrong == answer or _rg_score(entry, wrong) >= 1.0:
                    continue  # reasoning-gym would accept it: not a known-wrong answer
                for phrasing, phrase in PHRASINGS.items():
                    result = grader.grade(phrase(wrong), item)
                    tally.wrong += 1
                    tally.errors += result.status != "scored"
                    if result.status == "scored" and result.reward >= 1.0:
                        tally.wrong_paid += 1
                        paid.append(f"{task} {kind} ({phrasing}): {wrong!r} for {answer!r}")
    record(tally.line(library.file))
    for phrasing, (hit, n) in sorted(other_phrasings.items()):
        record(f"    undocumented phrasing {phrasing!r}: full marks {hit}/{n}")
    for line in refused[:5]:
        record(f"    refused: {line}")
    assert not paid, "\n".join(paid[:20])
    assert tally.wrong > 100
    assert tally.right_accepted == tally.right, "\n".join(refused[:20])
