"""code_synthesis: expected outputs come from the generator's solver; the reference solution is a different
algorithm run in the sandbox by the code_tests grader (registry test). Here: the asserts are well-formed, distinct
and discriminating (a plausible wrong program fails), and a reference-vs-solver disagreement would be caught."""

from __future__ import annotations

import ast

import pytest

from rft_kit.tasks import MIXED, generate, get_template, load_template_grader


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_asserts_are_literal_calls_of_the_entry_point(level: str) -> None:
    for item in generate("code_synthesis", 200, seed=14, difficulty=level):
        assert len(item["tests"]) == len(set(item["tests"])) == item["metadata"]["num_tests"]
        for test in item["tests"]:
            node = ast.parse(test).body[0]
            assert isinstance(node, ast.Assert) and isinstance(node.test, ast.Compare)
            call = node.test.left
            assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            assert call.func.id == item["entry_point"]
            for arg in [*call.args, *node.test.comparators]:
                ast.literal_eval(arg)  # plain data only: nothing the sandbox would have to trust
        assert f"`{item['entry_point']}(" in item["messages"][-1]["content"]


def test_tests_reject_a_program_that_returns_a_constant() -> None:
    gen = get_template("code_synthesis")
    grader = load_template_grader(gen)
    items = list(generate(gen, 60, seed=8, difficulty=MIXED))
    # the constant is the first test's expected value, so a program that memorised one example still fails
    samples = []
    for item in items:
        expected = ast.parse(item["tests"][0]).body[0].test.comparators[0]  # type: ignore[attr-defined]
        samples.append(f"def {item['entry_point']}(*args):\n    return {ast.unparse(expected)}\n")
    results = grader.grade_batch(samples, items)
    passed = [i["id"] for i, r in zip(items, results, strict=True) if r.reward == 1.0]
    assert len(passed) <= 3, passed


def test_a_solver_bug_would_be_caught_by_the_reference_run() -> None:
    gen = get_template("code_synthesis")
    grader = load_template_grader(gen)
    item = next(generate(gen, 1, seed=2, difficulty="hard"))
    tampered = dict(item, tests=[*item["tests"][:-1], item["tests"][-1].rsplit("==", 1)[0] + "== 'not the answer'"])
    assert grader.grade(gen.reference_sample(item), item).reward == 1.0
    assert grader.grade(gen.reference_sample(tampered), tampered).reward == 0.0
