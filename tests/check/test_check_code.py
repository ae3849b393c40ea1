"""rft check against code graders: a weak harness that trusts a clean exit is caught by the early_exit probe."""

from __future__ import annotations

from pathlib import Path

import yaml

from rft_kit.check import check_file

# Deliberately weak: runs the candidate with exec() and counts a clean SystemExit as success.
WEAK_SOURCE = r"""
import re

def grade(sample, item):
    match = re.search(r"```(?:python)?\n(.*?)```", sample["output_text"], re.S)
    code = match.group(1) if match else sample["output_text"]
    namespace = {}
    try:
        exec(code + "\n" + item["test"], namespace)
    except SystemExit as exc:
        return 1.0 if not exc.code else 0.0
    except Exception:
        return 0.0
    return 1.0
"""

CASES = [
    {
        "name": "correct",
        "item": {"test": "assert add(2, 3) == 5\nassert add(-1, 1) == 0", "entry_point": "add", "prompt": ""},
        "sample": "```python\ndef add(a, b):\n    return a + b\n```",
        "expect": 1.0,
    },
    {
        "name": "wrong",
        "item": {"test": "assert add(2, 3) == 5\nassert add(-1, 1) == 0", "entry_point": "add", "prompt": ""},
        "sample": "```python\ndef add(a, b):\n    return a - b\n```",
        "expect": 0.0,
    },
]


def write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_code_grader_fooled_by_an_early_exit_is_reported(tmp_path: Path) -> None:
    doc = {"type": "python", "name": "weak_exec", "source": WEAK_SOURCE, "cases": CASES}
    report = check_file(write(tmp_path, "weak.yaml", doc))
    early = next(o for o in report.outcomes if o.check == "probe early_exit")
    assert early.status == "fail", report.outcomes
    assert "exits with status 0 before any test runs" in early.message
    assert "never by the exit status" in early.fix


def test_code_tests_grader_resists_the_early_exit_probe(tmp_path: Path) -> None:
    doc = {
        "type": "code_tests",
        "name": "asserts",
        "format": "asserts",
        "tests": "{{item.tests}}",
        "cases": [
            {
                "name": "correct",
                "item": {"tests": ["assert add(2, 3) == 5"]},
                "sample": "def add(a, b):\n    return a + b",
                "expect": 1.0,
            },
            {
                "name": "wrong",
                "item": {"tests": ["assert add(2, 3) == 5"]},
                "sample": "def add(a, b):\n    return a - b",
                "expect": 0.0,
            },
        ],
    }
    report = check_file(write(tmp_path, "strong.yaml", doc))
    early = next(o for o in report.outcomes if o.check == "probe early_exit")
    assert early.status == "pass", early
