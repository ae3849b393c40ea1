"""notebooks/agentic.ipynb runs top to bottom (so it cannot rot): generate, roll out, grade, report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebooks import execute

pytestmark = pytest.mark.slow


def test_agentic_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs, seconds = execute("agentic.ipynb", tmp_path, monkeypatch)
    assert seconds < 90
    assert sum("image/svg+xml" in o.get("data", {}) for o in outputs) == 1
    # print() output is stream text; rich tables come back as display data
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "SIMULATED" in text and "agentic episodes" in text and "stop_reason: " in text
    assert (tmp_path / "strong" / "report.html").exists() and (tmp_path / "base" / "grades.jsonl").exists()
