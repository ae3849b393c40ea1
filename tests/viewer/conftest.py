from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rft_kit.runs.demo import run_demo

from .runs import write_agentic_run, write_hostile_run


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's two real runs (SIMULATED models through the local server), made once per session."""
    runs = tmp_path_factory.mktemp("viewer-demo") / "runs"
    run_demo(runs)
    return runs


@pytest.fixture
def runs_dir(demo_source: Path, tmp_path: Path) -> Path:
    """A private copy of the demo's runs (tests write labels) plus an agentic and a hostile run."""
    target = tmp_path / "runs"
    shutil.copytree(demo_source, target)
    write_agentic_run(target / "agent-run")
    write_hostile_run(target / "hostile-run")
    return target
