"""The hosted python grader's semantics (docs/hosted-semantics.md: python), run in the local sandbox."""

from __future__ import annotations

import pickle

import pytest

from rft_kit import ConfigError, load_grader

WRATIO = (
    "from rapidfuzz import fuzz, utils\n"
    "def grade(sample, item) -> float:\n"
    '    return fuzz.WRatio(sample["output_text"], item["reference_answer"], processor=utils.default_process) / 100.0\n'
)


def test_worked_example_rapidfuzz(python_grader):
    result = python_grader(WRATIO).run("fuzzy wuzzy was a bear", {"reference_answer": "fuzzy wuzzy had no hair"})
    assert result.status == "scored"
    assert result.reward == 0.7555555555555555
    envelope = result.envelope()
    assert envelope["reward"] == 0.7555555555555555
    assert not any(v for k, v in envelope["metadata"]["errors"].items() if isinstance(v, bool))
    assert result.metadata["isolation"]["level"] == "bwrap"


def test_worked_example_label_eq(python_grader):
    grader = python_grader(
        'def grade(sample, item):\n    return 1.0 if sample.get("output_text") == item.get("label") else 0.0\n'
    )
    assert grader.run("yes", {"label": "yes"}).reward == 1.0
    no = grader.run("Yes", {"label": "yes"})
    assert (no.status, no.reward) == ("scored", 0.0)


def test_sample_has_exactly_the_hosted_keys(python_grader):
    grader = python_grader(
        "def grade(sample, item):\n"
        "    keys = sorted(sample)\n"
        "    assert keys == ['choices', 'output_audio', 'output_json', 'output_text', 'output_tools'], keys\n"
        "    assert sample['output_json'] == {'a': 1}\n"
        "    return 1.0\n"
    )
    result = grader.run('{"a": 1}', {})
    assert (result.status, result.reward) == ("scored", 1.0), result.error


def test_key_error_is_a_runtime_error_with_traceback(python_grader):
    result = python_grader('def grade(sample, item):\n    return item["missing"]\n').run("x", {})
    assert (result.status, result.reward) == ("error", 0.0)
    assert result.error.kind == "runtime"
    assert result.error.flag == "python_grader_runtime_error"
    errors = result.envelope()["metadata"]["errors"]
    assert errors["python_grader_runtime_error"] is True
    assert errors["python_grader_server_error"] is False
    details = errors["python_grader_runtime_error_details"]
    assert "KeyError" in details
    assert "Traceback" in details
    assert 'File "grader.py", line 2, in grade' in details


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('return "0.5"', "got str"),
        ("return True", "got bool"),
        ("return None", "got NoneType"),
        ("return [1.0]", "got list"),
        ('return float("nan")', "not a finite number"),
        ('return float("inf")', "not a finite number"),
        ('return -float("inf")', "not a finite number"),
    ],
)
def test_invalid_return_values(python_grader, body, fragment):
    result = python_grader(f"def grade(sample, item):\n    {body}\n").run("x", {})
    assert (result.status, result.reward) == ("error", 0.0)
    assert result.error.flag == "python_grader_runtime_error"
    assert fragment in result.error.message


@pytest.mark.parametrize(("body", "expected"), [("return 1", 1.0), ("return 0", 0.0), ("return 0.25", 0.25)])
def test_numbers_are_accepted(python_grader, body, expected):
    result = python_grader(f"def grade(sample, item):\n    {body}\n").run("x", {})
    assert (result.status, result.reward) == ("scored", expected)
    assert "warnings" not in result.metadata


def test_numpy_numbers_are_accepted(python_grader):
    result = python_grader("import numpy as np\ndef grade(sample, item):\n    return np.float32(0.5)\n").run("x", {})
    assert (result.status, result.reward) == ("scored", 0.5)


def test_out_of_range_is_not_clamped(python_grader):
    result = python_grader("def grade(sample, item):\n    return 5.0\n").run("x", {})
    assert (result.status, result.reward) == ("scored", 5.0)
    assert "not clamped" in result.metadata["warnings"][0]


def test_timeout_is_an_error(python_grader):
    result = python_grader("import time\ndef grade(sample, item):\n    time.sleep(30)\n", timeout_s=0.5).run("x", {})
    assert (result.status, result.reward) == ("error", 0.0)
    assert result.error.kind == "timeout"
    assert result.error.flag == "python_grader_runtime_error"
    assert result.envelope()["metadata"]["errors"]["python_grader_runtime_error"] is True


def test_wrong_signature(python_grader):
    result = python_grader("def grade(sample):\n    return 1.0\n").run("x", {})
    assert result.error.flag == "python_grader_runtime_error"
    assert "grade(sample, item)" in result.error.message
    missing = python_grader("def score(sample, item):\n    return 1.0\n").run("x", {})
    assert "does not define a function grade" in missing.error.message


def test_exit_and_crash_are_runtime_errors(python_grader):
    for body in ("import sys; sys.exit(0)", "import os; os._exit(0)", "import os, signal; os.kill(os.getpid(), 9)"):
        result = python_grader(f"def grade(sample, item):\n    {body}\n").run("x", {})
        assert (result.status, result.reward) == ("error", 0.0), body
        assert result.error.flag == "python_grader_runtime_error", body


def test_prints_are_captured_not_parsed(python_grader):
    result = python_grader("def grade(sample, item):\n    print('reward: 1.0')\n    return 0.0\n").run("x", {})
    assert (result.status, result.reward) == ("scored", 0.0)
    assert "reward: 1.0" in result.metadata["stdout"]


def test_helpers_and_state_do_not_leak_between_samples(python_grader):
    grader = python_grader("COUNT = []\ndef grade(sample, item):\n    COUNT.append(1)\n    return float(len(COUNT))\n")
    assert [grader.run("x", {}).reward for _ in range(3)] == [1.0, 1.0, 1.0]


def test_config_checks():
    with pytest.raises(ConfigError, match="does not compile"):
        load_grader({"type": "python", "source": "def grade(sample, item)\n    return 1\n"})
    with pytest.raises(ConfigError, match="256 kB"):
        load_grader({"type": "python", "source": "# é\n" * 60_000 + "def grade(s, i):\n    return 1\n"})
    with pytest.raises(ConfigError, match="rft_options"):
        load_grader({"type": "python", "source": "def grade(s, i):\n    return 1\n", "rft_options": {"timeout": 3}})


def test_grader_pickles_by_config(python_grader):
    grader = python_grader("def grade(sample, item):\n    return 0.5\n", timeout_s=3)
    clone = pickle.loads(pickle.dumps(grader))
    assert clone.to_config() == grader.to_config()
    assert clone.limits.wall_s == 3
    assert clone.run("x", {}).reward == 0.5


def test_batch_equals_per_pair(python_grader):
    grader = python_grader('def grade(sample, item):\n    return len(sample["output_text"]) / 10\n')
    samples = [f"{'x' * i}" for i in range(8)] + [{"output_text": "abc", "error": {"message": "boom"}}]
    items = [{}] * len(samples)
    batch = grader.grade_batch(samples, items)
    single = [grader.grade(s, i) for s, i in zip(samples, items, strict=True)]
    assert [(r.status, r.reward) for r in batch] == [(r.status, r.reward) for r in single]
    assert batch[-1].status == "error"
