"""notebooks/agentic.ipynb runs top to bottom (so it cannot rot): generate, roll out, grade, report."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="install the dev extra: nbclient, nbformat, ipykernel")
nbclient = pytest.importorskip("nbclient", reason="install the dev extra: nbclient, nbformat, ipykernel")

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "agentic.ipynb"

pytestmark = pytest.mark.slow


def test_agentic_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RFT_NOTEBOOK_WORKDIR", str(tmp_path))  # the kernel inherits it
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    assert time.perf_counter() - start < 90
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/svg+xml" in o.get("data", {}) for o in outputs) == 1
    # print() output is stream text; rich tables come back as display data
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "SIMULATED" in text and "agentic episodes" in text and "stop_reason: " in text
    assert (tmp_path / "strong" / "report.html").exists() and (tmp_path / "base" / "grades.jsonl").exists()
