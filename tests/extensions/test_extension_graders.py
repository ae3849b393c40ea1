"""The extension graders (numeric, regex_match, json_schema, math_equivalence) and their hosted exports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rft_kit
from rft_kit.errors import ConfigError

NUMERIC = {"type": "numeric", "name": "num", "reference": "{{item.answer}}"}


def exported_grade(grader: rft_kit.Grader, sample_text: str, item: dict[str, Any]) -> float:
    """Run the compiled hosted python source (our own generated code) the way the hosted service would."""
    config = grader.to_hosted()  # type: ignore[attr-defined]
    assert config["type"] == "python"
    namespace: dict[str, Any] = {}
    exec(compile(config["source"], "<hosted>", "exec"), namespace)
    sample = rft_kit.Sample.from_text(sample_text).namespace()
    return float(namespace["grade"](sample, item))


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        ("The answer is 1,234.5", "1234.5", 1.0),
        ("so the result is \\boxed{\\frac{3}{4}}", "0.75", 1.0),
        ("I think 3/4 of them", "0.75", 1.0),
        ("Answer: -7. Then 9 more", "-7", 1.0),
        ("42 apples and 7 pears", "7", 1.0),
        ("42 apples and 7 pears", "42", 0.0),
        ("It grew by 45%", "45", 1.0),
        ("6.02e23 molecules", "6.02e23", 1.0),
        ("no number here", "1", 0.0),
        ("answer: 3.0000001", "3", 1.0),
        ("answer: 3.01", "3", 0.0),
    ],
)
def test_numeric_extraction_and_tolerance(text: str, answer: str, expected: float) -> None:
    grader = rft_kit.load_grader(NUMERIC)
    assert grader.grade(text, {"answer": answer}).reward == expected
    assert exported_grade(grader, text, {"answer": answer}) == expected


def test_numeric_options_and_bad_reference() -> None:
    grader = rft_kit.load_grader({**NUMERIC, "percent": "fraction", "extract": "first", "abs_tol": 0.01})
    assert grader.grade("45% then 3", {"answer": "0.45"}).reward == 1.0
    bad = rft_kit.load_grader(NUMERIC).grade("5", {"answer": "five"})
    assert bad.status == "error"
    assert bad.error is not None and bad.error.kind == "config"


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        ("2203636304", "2203636302", 0.0),  # issue 19: rel_tol let a 10^9 integer off by two pass
        ("2203636303", "2203636302", 0.0),
        ("2,203,636,302", "2203636302", 1.0),
        ("100000000000000001", "100000000000000000", 0.0),  # floats cannot tell these apart
        ("1, 2, 7", "3, 5, 7", 0.0),  # issue 19: only the last number of a list was compared
        ("The answer is 7, 5, 3", "3, 5, 7", 0.0),
        ("\\boxed{3, 5, 7}", "3, 5, 7", 1.0),
        ("The answer is 3, 5, and 7.", "3, 5, 7", 1.0),
        ("The answer is 3, 5", "3, 5, 7", 0.0),
        ("0.3333333333", "1/3", 1.0),  # rel_tol still absorbs the rounding of a fraction
    ],
)
def test_numeric_integers_exact_and_lists_in_order(text: str, answer: str, expected: float) -> None:
    grader = rft_kit.load_grader({**NUMERIC, "rel_tol": 1e-9})
    assert grader.grade(text, {"answer": answer}).reward == expected
    assert exported_grade(grader, text, {"answer": answer}) == expected


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=-(10**30), max_value=10**30), d=st.integers(min_value=-3, max_value=3))
def test_numeric_never_pays_a_different_integer(n: int, d: int) -> None:
    grader = rft_kit.load_grader({**NUMERIC, "rel_tol": 1e-6})
    assert grader.grade(f"The answer is {n + d}", {"answer": str(n)}).reward == (1.0 if d == 0 else 0.0)


REGEX = {
    "type": "regex_match",
    "name": "re",
    "pattern": r"(?i)answer:\s*(?P<answer>[^\n]+)",
    "reference": "{{item.answer}}",
}


def test_regex_extracts_last_answer_and_compares() -> None:
    grader = rft_kit.load_grader({**REGEX, "compare": "normalized"})
    text = "Answer: Paris\nOn reflection.\nAnswer: Berlin."
    assert grader.grade(text, {"answer": "berlin"}).reward == 1.0
    assert grader.grade(text, {"answer": "Paris"}).reward == 0.0
    assert exported_grade(grader, text, {"answer": "berlin"}) == 1.0
    first = rft_kit.load_grader({**REGEX, "occurrence": "first"})
    assert first.grade(text, {"answer": "Paris"}).reward == 1.0
    assert rft_kit.load_grader({**REGEX, "compare": "exact"}).grade(text, {"answer": "berlin"}).reward == 0.0


def test_regex_without_reference_rewards_a_match_and_fullmatch() -> None:
    grader = rft_kit.load_grader({"type": "regex_match", "pattern": r"\d{3}-\d{4}", "mode": "fullmatch"})
    assert grader.grade("555-1234", {}).reward == 1.0
    assert grader.grade("call 555-1234", {}).reward == 0.0


def test_regex_config_errors_and_catastrophic_backtracking() -> None:
    with pytest.raises(ConfigError, match="invalid regular expression"):
        rft_kit.load_grader({"type": "regex_match", "pattern": "(unclosed"})
    evil = rft_kit.load_grader({"type": "regex_match", "pattern": r"^(a|aa)+$", "timeout_ms": 50})
    result = evil.grade("a" * 40 + "!", {})
    assert result.status == "error"
    assert result.error is not None and result.error.kind == "timeout"


SCHEMA = {
    "type": "object",
    "required": ["name", "total"],
    "properties": {"name": {"type": "string"}, "total": {"type": "number", "minimum": 0}},
    "additionalProperties": False,
}


def test_json_schema_conformance_and_fraction() -> None:
    grader = rft_kit.load_grader({"type": "json_schema", "schema": SCHEMA})
    assert grader.grade('{"name": "A", "total": 3}', {}).reward == 1.0
    bad = grader.grade('{"name": "A", "total": -3}', {})
    assert bad.reward == 0.0
    assert bad.metadata["errors"][0]["path"] == "total"
    not_json = grader.grade("Here you go: {}", {})
    assert not_json.status == "scored"
    assert not_json.reward == 0.0
    fraction = rft_kit.load_grader({"type": "json_schema", "schema": SCHEMA, "scoring": "fraction"})
    assert fraction.grade('{"name": "A", "total": -3}', {}).reward == 0.5
    lenient = rft_kit.load_grader({"type": "json_schema", "schema": SCHEMA, "extract": "lenient"})
    assert lenient.grade('Sure!\n```json\n{"name": "A", "total": 1}\n```', {}).reward == 1.0
    for text in ['{"name": "A", "total": 3}', '{"name": "A", "total": -3}', "nope"]:
        assert exported_grade(grader, text, {}) == grader.grade(text, {}).reward
        assert exported_grade(fraction, text, {}) == fraction.grade(text, {}).reward


def test_json_schema_from_item_and_invalid_schemas() -> None:
    grader = rft_kit.load_grader({"type": "json_schema", "schema_from": "{{item.schema}}"})
    assert grader.grade('{"name": "A", "total": 1}', {"schema": SCHEMA}).reward == 1.0
    broken = grader.grade("{}", {"schema": {"type": "nonsense"}})
    assert broken.status == "error"
    assert broken.error is not None and broken.error.kind == "config"
    with pytest.raises(ConfigError, match="not a valid JSON Schema"):
        rft_kit.load_grader({"type": "json_schema", "schema": {"type": 5}})
    with pytest.raises(ConfigError):
        rft_kit.load_grader({"type": "json_schema"})  # neither schema nor schema_from


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        ("The answer is $\\boxed{\\frac{1}{2}}$", "0.5", 1.0),
        ("so it is $2\\pi$", "\\pi \\cdot 2", 1.0),
        ("x = 2", "3", 0.0),
        ("The final answer is $\\boxed{(1, 2]}$", "(1,2]", 1.0),
    ],
)
def test_math_equivalence(text: str, answer: str, expected: float) -> None:
    grader = rft_kit.load_grader({"type": "math_equivalence", "reference": "{{item.answer}}"})
    assert grader.grade(text, {"answer": answer}).reward == expected


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        ("\\boxed{unsexlike}", "ekilxesnu", 0.0),  # issue 19: words read as products of symbols
        ("\\boxed{ekilxesnu}", "ekilxesnu", 1.0),
        ("\\boxed{\\text{Odd}}", "odd", 1.0),
        ("\\boxed{7, 5, 3}", "3, 5, 7", 0.0),  # issue 19: a reordered list passed
        ("The final answer is 3, 5, 7", "3, 5, 7", 1.0),
        ("\\boxed{7}", "3, 5, 7", 0.0),  # the last element is not the list
        ("\\boxed{\\{7, 5, 3\\}}", "\\{3, 5, 7\\}", 1.0),  # a set is unordered
        ("\\boxed{x^2 + 2x}", "2x + x^2", 1.0),
        ("\\boxed{2203636303}", "2203636302", 0.0),
    ],
)
def test_math_equivalence_guards(text: str, answer: str, expected: float) -> None:
    grader = rft_kit.load_grader({"type": "math_equivalence", "reference": "{{item.answer}}", "require_anchor": True})
    assert grader.grade(text, {"answer": answer}).reward == expected


def test_math_equivalence_unordered_lists_on_request() -> None:
    grader = rft_kit.load_grader({"type": "math_equivalence", "reference": "{{item.answer}}", "lists": "unordered"})
    assert grader.grade("\\boxed{7, 5, 3}", {"answer": "3, 5, 7"}).reward == 1.0
    assert grader.grade("\\boxed{7, 5, 4}", {"answer": "3, 5, 7"}).reward == 0.0


def test_math_timeout_works_off_the_main_thread() -> None:
    import threading

    grader = rft_kit.load_grader({"type": "math_equivalence", "reference": "{{item.answer}}", "timeout_s": 0.3})
    results: list[rft_kit.GradeResult] = []
    thread = threading.Thread(
        target=lambda: results.append(grader.grade("$" + "(x+1)*" * 3000 + "1$", {"answer": "1"}))
    )
    thread.start()
    thread.join(timeout=30)
    assert results, "the grade must return even though the computation overran"
    assert results[0].status == "error"
    assert results[0].error is not None and results[0].error.kind == "timeout"
    assert grader.grade("\\boxed{2}", {"answer": "2"}).reward == 1.0  # a fresh helper took over


def test_math_export_is_refused_with_the_reason() -> None:
    grader = rft_kit.load_grader({"type": "math_equivalence", "reference": "{{item.answer}}"})
    with pytest.raises(ConfigError, match="math-verify is not in the hosted python-grader image"):
        grader.to_hosted()  # type: ignore[attr-defined]


def test_exported_source_is_self_contained_and_small() -> None:
    for config in (NUMERIC, REGEX, {"type": "json_schema", "schema": SCHEMA}):
        source = rft_kit.load_grader(config).to_hosted()["source"]  # type: ignore[attr-defined]
        assert "rft_kit" not in source.replace("rft-kit", "")
        assert source.startswith("from __future__ import annotations")
        assert len(source.encode()) < 256 * 1024
        compile(source, "<hosted>", "exec")


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300), answer=st.sampled_from(["0", "1.5", "-3", "1,000", "2/3"]))
def test_numeric_local_and_exported_agree(text: str, answer: str) -> None:
    grader = rft_kit.load_grader(NUMERIC)
    local = grader.grade(text, {"answer": answer})
    assert local.status == "scored"
    assert local.reward in (0.0, 1.0)
    assert exported_grade(grader, text, {"answer": answer}) == local.reward


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300), answer=st.text(max_size=20))
def test_regex_local_and_exported_agree(text: str, answer: str) -> None:
    grader = rft_kit.load_grader({**REGEX, "compare": "normalized"})
    local = grader.grade(text, {"answer": answer})
    assert local.reward in (0.0, 1.0)
    assert exported_grade(grader, text, {"answer": answer}) == local.reward


@settings(max_examples=100, deadline=None)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=8,
    )
)
def test_json_schema_never_raises_and_agrees_with_export(value: Any) -> None:
    grader = rft_kit.load_grader({"type": "json_schema", "schema": SCHEMA, "scoring": "fraction"})
    text = json.dumps(value)
    local = grader.grade(text, {})
    assert 0.0 <= local.reward <= 1.0
    assert exported_grade(grader, text, {}) == local.reward


@settings(max_examples=25, deadline=None)
@given(word=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10), data=st.data())
def test_math_equivalence_never_pays_a_different_word_of_the_same_letters(word: str, data: st.DataObject) -> None:
    other = "".join(data.draw(st.permutations(list(word))))
    grader = rft_kit.load_grader({"type": "math_equivalence", "reference": "{{item.answer}}", "require_anchor": True})
    result = grader.grade(f"$\\boxed{{{other}}}$", {"answer": word})
    assert result.reward == (1.0 if other == word else 0.0), result.metadata


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(-(10**12), 10**12), min_size=2, max_size=6, unique=True), data=st.data())
def test_numeric_list_answers_count_only_in_order(values: list[int], data: st.DataObject) -> None:
    order = data.draw(st.permutations(values))
    grader = rft_kit.load_grader(NUMERIC)
    reference = ", ".join(str(v) for v in values)
    reward = grader.grade("The answer is " + ", ".join(str(v) for v in order), {"answer": reference}).reward
    assert reward == (1.0 if list(order) == values else 0.0)
