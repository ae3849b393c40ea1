"""code_tests grader behaviour: extraction, assembly, comparison, scoring, errors, batching, CLI end to end."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rft_kit import ConfigError, load_grader
from rft_kit.graders.code_tests import assemble_humaneval, extract_code
from rft_kit.sandbox.harness_tests import compare_output
from rft_kit.sandbox.pool import UID_BASE

ADD = {"tests": ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(0, 5) == 5", "assert add(3, 3) == 7"]}


def test_extract_code():
    text = "Here:\n```js\nconsole.log(1)\n```\n```python\nx = 1\n```\nand\n```\ny = 2\n```\ndone"
    assert extract_code(text, "auto") == "y = 2\n"
    assert extract_code(text, "fenced") == "y = 2\n"
    assert extract_code("plain = 1", "auto") == "plain = 1"
    assert extract_code("plain = 1", "fenced") == ""
    assert extract_code(text, "whole") == text
    assert extract_code("```py\nz = 3\n", "auto") == "z = 3\n"  # an unterminated fence (truncated answer)


def test_assemble_humaneval():
    prompt = "from typing import List\nimport math\n\ndef f(x: List[int]) -> int:\n    '''doc'''\n"
    assert assemble_humaneval(prompt, "    return 1\n", "f") == prompt + "    return 1\n"
    full = "def f(x):\n    return math.floor(1.5)\n"
    assert assemble_humaneval(prompt, full, "f") == "from typing import List\nimport math\n" + full


@pytest.mark.parametrize(
    ("got", "expected", "mode", "equal"),
    [
        ("1 2\n3\n", "1 2 3", "tokens", True),
        ("1 2 3", "1 2 4", "tokens", False),
        ("a\nb\n", "a\nb\n", "exact", True),
        ("a\nb", "a\nb\n", "exact", False),
        ("a  \nb\n\n\n", "a\nb", "lines", True),
        ("a b\n", "a  b\n", "lines", False),
    ],
)
def test_compare_output(got, expected, mode, equal):
    assert compare_output(got, expected, mode) is equal


def test_fraction_scoring_and_per_test_outcomes(asserts_grader):
    program = "def add(a, b):\n    return a + b\n"
    result = asserts_grader(scoring="fraction").grade(program, ADD)
    assert (result.status, result.reward) == ("scored", 0.75)
    statuses = [t["status"] for t in result.metadata["tests"]]
    assert statuses == ["passed", "passed", "passed", "failed"]
    assert "assert add(3, 3) == 7" in result.metadata["tests"][3]["message"]
    assert asserts_grader().grade(program, ADD).reward == 0.0  # all_or_nothing


def test_exceptions_and_state(asserts_grader):
    program = (
        "CALLS = []\n"
        "def add(a, b):\n"
        "    CALLS.append(1)\n"
        "    if a < 0:\n"
        "        raise ValueError('negative')\n"
        "    return a + b\n"
        "def calls():\n"
        "    return len(CALLS)\n"
    )
    tests = [
        "assert add(1, 1) == 2",
        "assert calls() == 1",  # module state persists across tests within one candidate process
        "try:\n    add(-1, 0)\nexcept ValueError as e:\n    assert 'negative' in str(e)\n"
        "else:\n    raise AssertionError",
        "assert add(-1, 0) == -1",
    ]
    result = asserts_grader(scoring="fraction").grade(program, {"tests": tests})
    assert [t["status"] for t in result.metadata["tests"]] == ["passed", "passed", "passed", "error"]
    assert "ValueError: negative" in result.metadata["tests"][3]["message"]


def test_timeout_gets_a_fresh_candidate(asserts_grader):
    program = (
        "import time\nSTATE = {'n': 0}\n"
        "def f(x):\n    STATE['n'] += 1\n    if x:\n        time.sleep(60)\n    return STATE['n']\n"
    )
    tests = ["assert f(0) == 1", "assert f(1) == 2", "assert f(0) == 1"]  # after the kill: reloaded, state reset
    result = asserts_grader(timeout_per_test_s=1, scoring="fraction").grade(program, {"tests": tests})
    assert [t["status"] for t in result.metadata["tests"]] == ["passed", "timeout", "passed"]


def test_values_cross_as_plain_data(asserts_grader):
    program = (
        "from collections import OrderedDict, namedtuple\n"
        "P = namedtuple('P', 'x y')\n"
        "def f():\n"
        "    return [None, True, 2**100, 1.5, float('inf'), 'é', b'\\x00', (1, 2), {1: {2}}, frozenset({3}),"
        " OrderedDict(a=1), P(1, 2)]\n"
        "def g():\n    return object()\n"
        "def h(x):\n    x.append(1)\n    return len(x)\n"
    )
    tests = [
        "v = f()\nassert v[:10] == [None, True, 2**100, 1.5, float('inf'), 'é', b'\\x00', (1, 2), {1: {2}},"
        " frozenset({3})]",
        "v = f()\nassert type(v[10]) is dict and type(v[11]) is tuple and v[11] == (1, 2)",
        "g()",
        "x = []\nassert h(x) == 1 and x == []",  # arguments are copies: in-place mutation is not visible
        "import math\nassert math.isnan(h.__call__([float('nan')]) * float('nan'))",
    ]
    result = asserts_grader(scoring="fraction").grade(program, {"tests": tests})
    statuses = [t["status"] for t in result.metadata["tests"]]
    assert statuses == ["passed", "passed", "error", "passed", "passed"], result.metadata["tests"]
    assert "cannot cross the sandbox boundary" in result.metadata["tests"][2]["message"]


def test_load_failures_are_wrong_answers(asserts_grader):
    for program, fragment in (
        ("def add(a, b) return 1", "SyntaxError"),
        ("raise RuntimeError('at import')", "RuntimeError"),
        ("while True:\n    pass\n", "time limit"),
    ):
        result = asserts_grader(timeout_per_test_s=1).grade(program, ADD)
        assert (result.status, result.reward) == ("scored", 0.0)
        assert fragment in result.metadata["reason"], result.metadata


def test_no_code_is_a_wrong_answer(asserts_grader):
    result = asserts_grader(extract="fenced").grade("I cannot solve this.", ADD)
    assert (result.status, result.reward) == ("scored", 0.0)
    assert result.metadata["reason"] == "no code found in the sample"


@pytest.mark.parametrize("tests", ["not json", "[]", '{"a": 1}', "[1, 2]"])
def test_bad_tests_are_config_errors(asserts_grader, tests):
    result = asserts_grader(tests=tests).grade("def add(a, b):\n    return a + b\n", {})
    assert result.status == "error"
    assert result.error.kind == "config"


def test_bad_test_code_is_a_config_error(asserts_grader):
    result = asserts_grader().grade("def add(a, b):\n    return a + b\n", {"tests": ["assert add(1,"]})
    assert (result.status, result.error.kind) == ("error", "config")


def test_stdio_runtime_error_and_output_modes(stdio_grader):
    crash = stdio_grader().grade(
        "x = int(input())\nraise ValueError('bad')\n", {"tests": [{"input": "1", "output": "1"}]}
    )
    assert crash.reward == 0.0
    assert crash.metadata["tests"][0]["status"] == "error"
    assert "ValueError" in crash.metadata["tests"][0]["message"]
    exact = stdio_grader(compare="exact").grade("print('a ')", {"tests": [{"input": "", "output": "a\n"}]})
    assert exact.reward == 0.0
    tokens = stdio_grader().grade("print('a ')", {"tests": [{"input": "", "output": "a\n"}]})
    assert tokens.reward == 1.0


def test_stdio_output_cap(stdio_grader):
    program = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
    result = stdio_grader().grade(program, {"tests": [{"input": "", "output": "x"}]})
    assert result.reward == 0.0
    assert "output over" in result.metadata["tests"][0]["message"]


def test_schema_rules():
    with pytest.raises(ConfigError, match=r"entry_point|test"):
        load_grader({"type": "code_tests", "format": "humaneval", "prompt": "x"})
    with pytest.raises(ConfigError, match="tests"):
        load_grader({"type": "code_tests", "format": "stdio"})
    with pytest.raises(ConfigError, match="compare"):
        load_grader({"type": "code_tests", "format": "stdio", "tests": "{{item.t}}", "compare": "fuzzy"})
    grader = load_grader({"type": "code_tests", "format": "asserts", "tests": "{{item.t}}"})  # a top-level RFT type
    assert grader.type == "code_tests"


def test_pickles_by_config(asserts_grader):
    grader = asserts_grader(scoring="fraction")
    clone = pickle.loads(pickle.dumps(grader))
    assert clone.to_config() == grader.to_config()
    assert clone.grade("def add(a, b):\n    return a + b\n", ADD).reward == 0.75


def test_batch_matches_per_pair(asserts_grader):
    grader = asserts_grader(scoring="fraction")
    samples = ["def add(a, b):\n    return a + b\n", "def add(a, b):\n    return 0\n", "", "def add(a, b) oops"] * 3
    items = [ADD] * len(samples)
    batch = grader.grade_batch(samples, items)
    single = [grader.grade(s, i) for s, i in zip(samples, items, strict=True)]
    assert [(r.status, r.reward) for r in batch] == [(r.status, r.reward) for r in single]
    assert [r.reward for r in batch[:4]] == [0.75, 0.0, 0.0, 0.0]


def _rft(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rft_kit", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_cli_grader_run_and_grade(tmp_path: Path, sandbox):
    py = tmp_path / "py.yaml"
    py.write_text(
        "type: python\nname: fuzzy\nsource: |\n"
        "  from rapidfuzz import fuzz, utils\n"
        "  def grade(sample, item) -> float:\n"
        "      return fuzz.WRatio(sample['output_text'], item['reference_answer'],\n"
        "                         processor=utils.default_process) / 100.0\n"
    )
    out = _rft(
        "grader",
        "run",
        str(py),
        "--sample",
        "fuzzy wuzzy was a bear",
        "--item",
        json.dumps({"reference_answer": "fuzzy wuzzy had no hair"}),
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["reward"] == 0.7555555555555555

    ct = tmp_path / "ct.json"
    ct.write_text(
        json.dumps({"type": "code_tests", "name": "mbpp", "format": "asserts", "tests": "{{item.test_list}}"})
    )
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"id": "a", "test_list": ADD["tests"][:3]}) + "\n")
    samples = tmp_path / "samples.jsonl"
    samples.write_text(
        json.dumps(
            {"item_id": "a", "sample_index": 0, "output_text": "```python\ndef add(a, b):\n    return a + b\n```"}
        )
        + "\n"
        + json.dumps({"item_id": "a", "sample_index": 1, "output_text": "def add(a, b):\n    return a - b\n"})
        + "\n"
    )
    grades = tmp_path / "grades.jsonl"
    out = _rft("grade", str(ct), "--samples", str(samples), "--items", str(items), "--output", str(grades))
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in grades.read_text().splitlines()]
    assert sorted(r["reward"] for r in records) == [0.0, 1.0]
    assert all(r["metadata"]["isolation"]["level"] == "bwrap" for r in records)


def test_cli_sandbox_info(sandbox):
    out = _rft("sandbox", "info", "--json")
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["level"] == "bwrap"
    probe = info["probe"]
    assert probe["job_status"] == "ok"
    assert probe["isolation"]["uid_drop"] is True
    assert probe["inside"]["uid"] >= UID_BASE
    assert probe["inside"]["network"].startswith("blocked")
    assert "OPENAI_API_KEY" not in probe["inside"]["env_keys"]
    text = _rft("sandbox", "info", "--no-probe")
    assert text.returncode == 0
    assert "isolation: bwrap" in text.stdout


def _defines_reference(code: str, name: str) -> bool:
    """What "the completion defines entry_point" means (the grader puts a cheap pre-check in front of this)."""
    import ast
    import re

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return re.search(rf"^def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None
    return any(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name for n in tree.body)


_CODE_PARTS = [
    "def f(x):\n    return 1\n",
    "async def f(x):\n    pass\n",
    "def \\\n f(x): pass\n",
    "    return 1\n",
    "'''\ndef f(\n'''\n",
    "@dec\n",
    "def g(x): pass\n",
    "class f: pass\n",
    "def\tf\t(x): pass\n",
    "x = 1\n",
    "def ff(): pass\n",
    "def f_(): pass\n",
    "if 1:\n    def f(): pass\n",
    "\x0cdef f(): pass\n",
    "def é(): pass\n",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_CODE_PARTS), max_size=4).map("".join), st.sampled_from(["f", "g", "é"]))
def test_completion_defines_entry_point_as_the_reference_does(code, name):
    from rft_kit.graders.code_tests import _defines

    assert _defines(code, name) == _defines_reference(code, name)


def test_batch_runs_chunks_and_matches_per_pair_on_every_outcome(humaneval_grader, sandbox):
    # A batch runs several samples per sandbox job. Every kind of outcome must come out as the per-pair path gives
    # it: passes, wrong answers, no code, a candidate that hangs, one that kills itself, and an item whose trusted
    # test code kills the test runner, which fails its whole chunk (those samples are then graded one by one).
    grader = humaneval_grader(timeout_per_test_s=1, scoring="fraction")
    good = {
        "prompt": "def inc(x):\n",
        "test": "def check(c):\n    assert c(1) == 2\n    assert c(5) == 6\n",
        "entry_point": "inc",
    }
    runner_killer = {**good, "test": "def check(c):\n    assert c(1) == 2\n    import os; os._exit(3)\n"}
    cases = [
        ("    return x + 1\n", good),
        ("    return x\n", good),
        ("", good),
        ("    while True: pass\n", good),
        ("    import os; os._exit(0)\n", good),
        ("    return x + 1\n", runner_killer),
    ] * 3
    samples, items = [c[0] for c in cases], [c[1] for c in cases]
    first_id = next(sandbox._ids)
    batch = grader.grade_batch(samples, items)
    jobs = next(sandbox._ids) - first_id - 1
    single = [grader.grade(s, i) for s, i in zip(samples, items, strict=True)]

    def outcome(r):
        tests = [(t["status"], t["message"]) for t in r.metadata.get("tests", [])]
        return r.status, r.reward, r.metadata.get("reason"), tests

    assert [outcome(r) for r in batch] == [outcome(r) for r in single]
    assert [r.reward for r in batch[:6]] == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert batch[5].metadata["reason"].startswith("the test runner was killed")
    # fewer jobs than samples with code: chunks ran (a chunk with a runner-killer is re-run sample by sample)
    with_code = sum(1 for text in samples if text)
    if -(-with_code // (4 * sandbox.workers)) > 1:
        assert jobs < with_code
    assert all(r.grader_type == "code_tests" and r.grader_name == "he" for r in batch)
