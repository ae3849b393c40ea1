"""Execute a notebook of notebooks/ top to bottom with a kernel from this virtualenv (shared by the notebook tests)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(name: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], float]:
    """Run ``notebooks/<name>`` with ``RFT_NOTEBOOK_WORKDIR=workdir``; its code cells' outputs and the seconds taken."""
    nbformat = pytest.importorskip("nbformat", reason="install the dev extra: nbclient, nbformat, ipykernel")
    nbclient = pytest.importorskip("nbclient", reason="install the dev extra: nbclient, nbformat, ipykernel")
    monkeypatch.setenv("RFT_NOTEBOOK_WORKDIR", str(workdir))  # the kernel inherits it
    path = NOTEBOOKS / name
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    seconds = time.perf_counter() - start
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    return outputs, seconds
