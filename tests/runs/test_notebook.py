"""notebooks/quickstart.ipynb runs top to bottom (so it cannot rot), fast."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.notebooks import execute

pytestmark = pytest.mark.slow


def test_quickstart_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs, seconds = execute("quickstart.ipynb", tmp_path, monkeypatch)
    assert seconds < 60
    assert sum("image/svg+xml" in o.get("data", {}) for o in outputs) == 2
    text = "".join(o.get("text", "") for o in outputs)
    assert "SIMULATED" in text and "pass@k" in text
    assert (tmp_path / "strong" / "report.html").exists() and (tmp_path / "base" / "grades.jsonl").exists()
