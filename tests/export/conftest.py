"""Shared task sets and grader files for the export tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GRADERS = REPO / "graders"


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_grader(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def qa_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"q{i}",
            "messages": [
                {"role": "developer", "content": "Answer with the number only."},
                {"role": "user", "content": f"What is {i} + {i}?"},
            ],
            "answer": str(2 * i),
            "metadata": {"difficulty": "easy"},
        }
        for i in range(n)
    ]


def tool_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"t{i}",
            "messages": [{"role": "user", "content": f"Forecast for Lisbon, {i + 1} days?"}],
            "function": "get_forecast",
            "arguments": {"city": "Lisbon", "days": i + 1},
        }
        for i in range(n)
    ]


@pytest.fixture
def qa_tasks(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "tasks.jsonl", qa_rows(30))


@pytest.fixture
def exact_grader() -> Path:
    return GRADERS / "exact_answer.yaml"
