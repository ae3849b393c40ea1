"""Code synthesis with unit tests: write a small Python function from a specification.

Each family has a parameterised specification, an input sampler, an in-process *solver* that computes the expected
outputs of the tests, and a separately written *reference solution* (a different algorithm, kept as source text).
The registry-wide test runs the reference solution against the generated asserts in the code sandbox, so every test
expectation is confirmed by two independent implementations. Graded by ``graders/tasks/code_synthesis.yaml``
(``code_tests``, asserts format).
"""

from __future__ import annotations

import random
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from rft_kit.errors import ConfigError
from rft_kit.records import Item
from rft_kit.tasks.base import Draft, Levels, TaskConfig, TaskGenerator

DEVELOPER = (
    "You are an expert Python developer. Write a correct, self-contained implementation of the requested function "
    "using only the standard library. Reply with the code in a single ```python block; do not include tests or "
    "example calls."
)

WORDS = (
    "apple",
    "river",
    "stone",
    "cloud",
    "maple",
    "ember",
    "quartz",
    "lantern",
    "meadow",
    "harbor",
    "tide",
    "violet",
)


@dataclass(frozen=True)
class Family:
    """One kind of function to write.

    Attributes:
        name: the function name the tests call.
        level: the lowest difficulty that uses it.
        spec: builds (signature, description, params) from the rng; params are passed to the sampler and solver.
        sample: draws one argument tuple.
        solve: computes the expected result (the first implementation).
        reference: builds the reference solution source from params (the second implementation).
        contexts: why someone needs the function; one opens the prompt (tasks read like real requests).
    """

    name: str
    level: int
    spec: Callable[[random.Random], tuple[str, str, dict[str, Any]]]
    sample: Callable[[random.Random, dict[str, Any], bool], tuple[Any, ...]]
    solve: Callable[[dict[str, Any], tuple[Any, ...]], Any]
    reference: Callable[[dict[str, Any]], str]
    contexts: tuple[str, ...] = ("",)


# -- families -------------------------------------------------------------------------------------------------------
def _sm_spec(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    a, b = rng.sample((3, 4, 5, 6, 7, 11), 2)
    return (
        "sum_multiples(limit: int) -> int",
        f"Return the sum of all non-negative integers strictly below `limit` that are divisible by {a} or by {b} "
        "(numbers divisible by both are counted once). Return 0 when `limit` <= 0.",
        {"a": a, "b": b},
    )


def _sm_solve(p: dict[str, Any], args: tuple[Any, ...]) -> int:
    return sum(n for n in range(max(0, args[0])) if n % p["a"] == 0 or n % p["b"] == 0)


def _sm_reference(p: dict[str, Any]) -> str:
    # inclusion-exclusion with arithmetic series, not a loop
    return f"""
        from math import gcd

        def sum_multiples(limit: int) -> int:
            def series(k: int) -> int:
                m = (limit - 1) // k
                return k * m * (m + 1) // 2
            if limit <= 0:
                return 0
            a, b = {p["a"]}, {p["b"]}
            return series(a) + series(b) - series(a * b // gcd(a, b))
        """


def _cw_spec(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    k = rng.randint(3, 6)
    return (
        "count_long_words(text: str) -> int",
        f"Return how many words in `text` have more than {k} letters. Words are maximal runs of ASCII letters; "
        "everything else (digits, punctuation, whitespace) separates words.",
        {"k": k},
    )


def _cw_sample(rng: random.Random, p: dict[str, Any], edge: bool) -> tuple[Any, ...]:
    if edge and rng.random() < 0.4:
        return (rng.choice(("", "   ", "1234 ... !!", "a-b-c")),)
    parts = [
        rng.choice(WORDS)[: rng.randint(1, 7)] + rng.choice(("", "", ",", ".", "3")) for _ in range(rng.randint(1, 9))
    ]
    return (" ".join(parts),)


def _cw_solve(p: dict[str, Any], args: tuple[Any, ...]) -> int:
    words, current = [], ""
    for ch in args[0] + " ":
        if ch.isascii() and ch.isalpha():
            current += ch
        else:
            if current:
                words.append(current)
            current = ""
    return sum(1 for w in words if len(w) > p["k"])


def _cw_reference(p: dict[str, Any]) -> str:
    return f"""
        import re

        def count_long_words(text: str) -> int:
            return sum(1 for w in re.findall(r"[A-Za-z]+", text) if len(w) > {p["k"]})
        """


def _rle_spec(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    count_first = rng.random() < 0.5
    example = "3a2b1c" if count_first else "a3b2c1"
    return (
        "run_length_encode(s: str) -> str",
        "Compress `s` with run-length encoding: each maximal run of the same character becomes "
        + ("the run length followed by the character" if count_first else "the character followed by the run length")
        + f', so "aaabbc" becomes "{example}". The empty string encodes to the empty string.',
        {"count_first": count_first},
    )


def _rle_sample(rng: random.Random, p: dict[str, Any], edge: bool) -> tuple[Any, ...]:
    if edge and rng.random() < 0.3:
        return (rng.choice(("", "z", "zzzzzzzzzzzz")),)
    return ("".join(rng.choice("abc") * rng.randint(1, 4) for _ in range(rng.randint(1, 6))),)


def _rle_solve(p: dict[str, Any], args: tuple[Any, ...]) -> str:
    out, s, i = [], args[0], 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        out.append(f"{j - i}{s[i]}" if p["count_first"] else f"{s[i]}{j - i}")
        i = j
    return "".join(out)


def _rle_reference(p: dict[str, Any]) -> str:
    piece = "f'{len(list(g))}{k}'" if p["count_first"] else "f'{k}{len(list(g))}'"
    return f"""
        from itertools import groupby

        def run_length_encode(s: str) -> str:
            return "".join({piece} for k, g in groupby(s))
        """


def _rot_spec(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    right = rng.random() < 0.5
    return (
        "rotate(items: list, k: int) -> list",
        f"Return a new list with the elements of `items` rotated {'right' if right else 'left'} by `k` positions "
        f"(k may be larger than the length or negative, meaning the opposite direction; an empty list stays empty). "
        f"Example: rotate([1, 2, 3, 4], 1) == {[4, 1, 2, 3] if right else [2, 3, 4, 1]}.",
        {"right": right},
    )


def _rot_sample(rng: random.Random, p: dict[str, Any], edge: bool) -> tuple[Any, ...]:
    if edge and rng.random() < 0.3:
        return ([], rng.randint(-3, 3))
    return ([rng.randint(0, 9) for _ in range(rng.randint(1, 7))], rng.randint(-9, 9))


def _rot_solve(p: dict[str, Any], args: tuple[Any, ...]) -> list[Any]:
    items, k = list(args[0]), args[1]
    steps = k if p["right"] else -k
    for _ in range(abs(steps) % max(1, len(items))):
        if steps > 0:
            items.insert(0, items.pop())
        else:
            items.append(items.pop(0))
    return items


def _rot_reference(p: dict[str, Any]) -> str:
    sign = "" if p["right"] else "-"
    return f"""
        def rotate(items: list, k: int) -> list:
            if not items:
                return []
            shift = ({sign}k) % len(items)
            return items[len(items) - shift:] + items[:len(items) - shift]
        """


def _second_spec(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    return (
        "second_largest(nums: list[int]) -> int | None",
        "Return the second largest *distinct* value in `nums`, or None when there are fewer than two distinct values.",
        {},
    )


def _second_sample(rng: random.Random, p: dict[str, Any], edge: bool) -> tuple[Any, ...]:
    if edge and rng.random() < 0.4:
        return (rng.choice(([], [5], [7, 7, 7], [-1, -1, -2])),)
    return ([rng.randint(-20, 20) for _ in range(rng.randint(2, 8))],)


def _second_solve(p: dict[str, Any], args: tuple[Any, ...]) -> int | None:
    distinct = sorted(set(args[0]), reverse=True)
    return distinct[1] if len(distinct) > 1 else None


def _second_reference(p: dict[str, Any]) -> str:
    return """
        def second_largest(nums):
            first = second = None
            for n in nums:
                if first is None or n > first:
                    if first is not None and n != first:
                        second = first
                    first = n
                elif n != first and (second is None or n > second):
                    second = n
            return second
        """


def _merge_spec(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    touching = rng.random() < 0.5
    return (
        "merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]",
        "Merge overlapping closed intervals [start, end] (start <= end) and return them sorted by start as tuples. "
        + (
            "Intervals that only touch, like (1, 3) and (3, 5), are merged."
            if touching
            else "Intervals that only touch, like (1, 3) and (3, 5), are NOT merged; they must share more than a point."
        )
        + " The input may be unsorted and may be empty.",
        {"touching": touching},
    )


def _merge_sample(rng: random.Random, p: dict[str, Any], edge: bool) -> tuple[Any, ...]:
    # zero-length intervals only where touching merges: otherwise "(2, 2) inside (1, 5)" is ambiguous in the spec
    shortest = 0 if p["touching"] else 1
    if edge and rng.random() < 0.3:
        return (rng.choice(([], [(2, 2 + shortest)], [(1, 3), (3, 5)], [(5, 6), (1, 2)])),)
    out = []
    for _ in range(rng.randint(1, 6)):
        start = rng.randint(0, 20)
        out.append((start, start + rng.randint(shortest, 5)))
    return (out,)


def _merge_solve(p: dict[str, Any], args: tuple[Any, ...]) -> list[tuple[int, int]]:
    # a different algorithm from the reference: repeatedly fuse any overlapping pair until none is left
    spans = [tuple(x) for x in args[0]]
    changed = True
    while changed:
        changed = False
        for i in range(len(spans)):
            for j in range(i + 1, len(spans)):
                (a, b), (c, d) = spans[i], spans[j]
                overlap = (a <= d and c <= b) if p["touching"] else (a < d and c < b) or (a, b) == (c, d)
                if overlap:
                    spans[i] = (min(a, c), max(b, d))
                    del spans[j]
                    changed = True
                    break
            if changed:
                break
    return sorted(spans)


def _merge_reference(p: dict[str, Any]) -> str:
    test = "start <= merged[-1][1]" if p["touching"] else "start < merged[-1][1] or (start, end) == merged[-1]"
    return f"""
        def merge_intervals(intervals):
            merged = []
            for start, end in sorted(intervals):
                if merged and ({test}):
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                else:
                    merged.append((start, end))
            return merged
        """


def _bal_spec(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    pairs = "".join(rng.sample(("()", "[]", "{}", "<>"), rng.randint(2, 3)))
    shown = ", ".join(f"{pairs[i]}{pairs[i + 1]}" for i in range(0, len(pairs), 2))
    return (
        "is_balanced(s: str) -> bool",
        f"Return True when the brackets {shown} in `s` are balanced and properly nested. Any other character "
        "is ignored. The empty string is balanced.",
        {"pairs": pairs},
    )


def _bal_sample(rng: random.Random, p: dict[str, Any], edge: bool) -> tuple[Any, ...]:
    if edge and rng.random() < 0.3:
        return (rng.choice(("", p["pairs"][1], p["pairs"][0], "abc")),)
    s = ""
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(0, len(p["pairs"]), 2)
        s = rng.choice((p["pairs"][i] + s + p["pairs"][i + 1], s + p["pairs"][i : i + 2], s + "x"))
    if rng.random() < 0.5 and s:
        pos = rng.randrange(len(s))
        s = s[:pos] + rng.choice(p["pairs"]) + s[pos + 1 :]
    return (s,)


def _bal_solve(p: dict[str, Any], args: tuple[Any, ...]) -> bool:
    # reduce by deleting adjacent matched pairs until nothing changes (different from the reference's stack)
    brackets = "".join(ch for ch in args[0] if ch in p["pairs"])
    empties = [p["pairs"][i : i + 2] for i in range(0, len(p["pairs"]), 2)]
    while True:
        shorter = brackets
        for e in empties:
            shorter = shorter.replace(e, "")
        if shorter == brackets:
            return brackets == ""
        brackets = shorter


def _bal_reference(p: dict[str, Any]) -> str:
    closers = {p["pairs"][i + 1]: p["pairs"][i] for i in range(0, len(p["pairs"]), 2)}
    return f"""
        def is_balanced(s: str) -> bool:
            closers = {closers!r}
            openers = set(closers.values())
            stack = []
            for ch in s:
                if ch in openers:
                    stack.append(ch)
                elif ch in closers:
                    if not stack or stack.pop() != closers[ch]:
                        return False
            return not stack
        """


def _top_spec(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    return (
        "top_words(text: str, k: int) -> list[str]",
        "Return the `k` most frequent words of `text`, most frequent first, ties broken alphabetically. Words are "
        "maximal runs of ASCII letters, compared case-insensitively and returned in lower case. Return fewer than "
        "`k` words when the text has fewer distinct words.",
        {},
    )


def _top_sample(rng: random.Random, p: dict[str, Any], edge: bool) -> tuple[Any, ...]:
    if edge and rng.random() < 0.3:
        return (rng.choice(("", "...", "Apple apple APPLE")), rng.randint(1, 3))
    words = [rng.choice(WORDS[:6]) for _ in range(rng.randint(1, 14))]
    text = " ".join(w.capitalize() if rng.random() < 0.3 else w for w in words)
    return (text.replace(" ", rng.choice((" ", ", ", "; ")), 2), rng.randint(1, 4))


def _top_solve(p: dict[str, Any], args: tuple[Any, ...]) -> list[str]:
    text, k = args
    cleaned = "".join(ch.lower() if ch.isascii() and ch.isalpha() else " " for ch in text)
    counts = Counter(cleaned.split())
    return sorted(counts, key=lambda w: (-counts[w], w))[:k]


def _top_reference(p: dict[str, Any]) -> str:
    return """
        import re

        def top_words(text: str, k: int) -> list[str]:
            counts = {}
            for w in re.findall(r"[a-z]+", text.lower()):
                counts[w] = counts.get(w, 0) + 1
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            return [w for w, _ in ranked[:k]]
        """


def _plain(rng: random.Random, p: dict[str, Any], edge: bool) -> tuple[Any, ...]:
    if edge and rng.random() < 0.3:
        return (rng.choice((0, 1, -5)),)
    return (rng.randint(1, 400),)


CONTEXTS = {
    "sum_multiples": (
        "I'm writing warm-up exercises for a maths club.",
        "Our billing job adds up invoice numbers that match two audit rules.",
        "A puzzle in our onboarding kata needs a reference helper.",
        "We need this helper for a property-based test of a scheduler.",
    ),
    "count_long_words": (
        "Our readability checker needs a word-length statistic.",
        "For a spam filter feature, we count long words in messages.",
        "A writing-app plugin highlights paragraphs full of long words.",
        "Search analytics wants to know how many query words are long.",
    ),
    "run_length_encode": (
        "We store long runs of sensor states compactly before upload.",
        "A retro game level format stores tile rows run-length encoded.",
        "Our log shipper compresses repeated status characters.",
        "A bioinformatics script summarises homopolymer runs.",
    ),
    "rotate": (
        "Our round-robin scheduler rotates the on-call list.",
        "A carousel widget needs its slides rotated.",
        "The cipher exercise rotates blocks of values.",
        "A shift-planning tool rotates staff between stations.",
    ),
    "second_largest": (
        "The leaderboard shows the runner-up score.",
        "A pricing report needs the second highest distinct bid.",
        "Monitoring wants the second worst latency bucket.",
        "A grading script reports the second best distinct mark.",
    ),
    "merge_intervals": (
        "Our calendar service merges busy slots before showing free time.",
        "A genome browser merges overlapping annotated regions.",
        "Maintenance windows from several teams must be combined.",
        "The video editor merges overlapping highlight ranges.",
    ),
    "is_balanced": (
        "Our config linter checks bracket nesting before parsing.",
        "A code-review bot flags unbalanced brackets in snippets.",
        "The template engine validates placeholder nesting.",
        "A teaching tool checks students' bracket sequences.",
    ),
    "top_words": (
        "Support wants the most common words in ticket subjects.",
        "A newsroom dashboard shows trending words in headlines.",
        "Our survey tool summarises free-text answers.",
        "A podcast app builds keyword tags from transcripts.",
    ),
}

FAMILIES = tuple(
    Family(name, level, spec, sample, solve, reference, CONTEXTS[name])
    for name, level, spec, sample, solve, reference in (
        ("sum_multiples", 0, _sm_spec, _plain, _sm_solve, _sm_reference),
        ("count_long_words", 0, _cw_spec, _cw_sample, _cw_solve, _cw_reference),
        ("run_length_encode", 0, _rle_spec, _rle_sample, _rle_solve, _rle_reference),
        ("rotate", 1, _rot_spec, _rot_sample, _rot_solve, _rot_reference),
        ("second_largest", 1, _second_spec, _second_sample, _second_solve, _second_reference),
        ("merge_intervals", 2, _merge_spec, _merge_sample, _merge_solve, _merge_reference),
        ("is_balanced", 2, _bal_spec, _bal_sample, _bal_solve, _bal_reference),
        ("top_words", 2, _top_spec, _top_sample, _top_solve, _top_reference),
    )
)


@dataclass(frozen=True, kw_only=True)
class CodeConfig(TaskConfig):
    """Config of :class:`CodeSynthesis`.

    Attributes:
        max_family_level: use families up to this level (0 basic, 1 lists, 2 algorithms).
        num_tests: asserts per item.
        edge_cases: include edge-case inputs (empty, single element, degenerate).
        examples_shown: how many of the tests appear as examples in the prompt.
    """

    max_family_level: int = 1
    num_tests: int = 5
    edge_cases: bool = True
    examples_shown: int = 1

    def validate(self) -> None:
        if not 0 <= self.max_family_level <= 2:
            raise ConfigError(f"must be 0, 1 or 2, got {self.max_family_level}", path="max_family_level")
        if not 1 <= self.num_tests <= 50:
            raise ConfigError(f"must be between 1 and 50, got {self.num_tests}", path="num_tests")
        if not 0 <= self.examples_shown <= self.num_tests:
            raise ConfigError(f"must be between 0 and num_tests, got {self.examples_shown}", path="examples_shown")


def _call(name: str, args: tuple[Any, ...]) -> str:
    return f"{name}({', '.join(repr(a) for a in args)})"


class CodeSynthesis(TaskGenerator[CodeConfig]):
    """Write a Python function; graded by running unit-test asserts in the sandbox."""

    name = "code_synthesis"
    domain = "software engineering"
    version = "1.0"
    description = "write a Python function from a specification; graded by hidden assert tests in the sandbox"
    grader = "rft:tasks/code_synthesis"
    config_cls = CodeConfig
    levels: ClassVar[Levels] = {
        "easy": {"max_family_level": 0, "num_tests": 3, "edge_cases": False, "examples_shown": 2},
        "medium": {"max_family_level": 1, "num_tests": 5, "edge_cases": True, "examples_shown": 1},
        "hard": {"max_family_level": 2, "num_tests": 8, "edge_cases": True, "examples_shown": 1},
    }

    def draft(self, rng: random.Random, config: CodeConfig) -> Draft:
        family = rng.choice([f for f in FAMILIES if f.level <= config.max_family_level])
        signature, description, params = family.spec(rng)
        calls: list[tuple[Any, ...]] = []
        tests: list[str] = []
        attempts = 0
        outputs: set[str] = set()
        # distinct inputs only: a duplicated assert would overstate the test count
        while len(tests) < config.num_tests and attempts < config.num_tests * 40:
            attempts += 1
            # the shown examples are typical inputs; edge cases stay hidden among the tests
            args = family.sample(rng, params, config.edge_cases and len(tests) >= config.examples_shown)
            expected = repr(family.solve(params, args))
            assertion = f"assert {_call(family.name, args)} == {expected}"
            # the last slot must bring a second distinct output, or a program returning a constant would pass
            last_slot = len(tests) == config.num_tests - 1 and config.num_tests > 1
            if assertion in tests or (last_slot and outputs == {expected}):
                continue
            calls.append(args)
            tests.append(assertion)
            outputs.add(expected)
        examples = "\n".join(
            f"    {_call(family.name, args)} == {family.solve(params, args)!r}"
            for args in calls[: config.examples_shown]
        )
        context = rng.choice(family.contexts)
        user = f"{context} Implement `{signature}`.\n\n{description}".lstrip()
        if examples:
            user += f"\n\nExamples:\n{examples}"
        return Draft(
            messages=[{"role": "developer", "content": DEVELOPER}, {"role": "user", "content": user}],
            reference={
                "entry_point": family.name,
                "tests": tests,
                "reference_solution": textwrap.dedent(family.reference(params)).strip() + "\n",
            },
            info={"family": family.name, "num_tests": len(tests)},
        )

    def reference_sample(self, item: Item) -> str:
        return f"```python\n{item['reference_solution']}```"
