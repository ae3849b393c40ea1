"""Acceptance: rft-kit as a new user gets it. Build the sdist and, from it, the wheel; install the wheel with its core
dependencies only into a fresh virtualenv; from an empty directory use the built-in templates, the grader library by
rft: name, the demo, and a project made by `rft init`.

Needs pip to reach a package index for `build`, the build requirements and the core dependencies (a warm pip cache
makes repeat runs fast); nothing else touches the network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from tests.test_starter import EXPECTED as STARTER_FILES

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SKIP_ANYWHERE = shutil.ignore_patterns("__pycache__", ".*_cache", "*.egg-info", ".hypothesis")
SKIP_AT_TOP = {".git", ".venv", "build", "dist", "runs", "tests", "test-artifacts", "rft_kit/_library"}


def _skip(folder: str, names: list[str]) -> set[str]:
    """What the copy of the checkout leaves out: caches anywhere, and local state at the top (not rft_kit/runs/)."""
    relative = Path(folder).relative_to(ROOT)
    top = {n for n in names if (relative / n).as_posix() in SKIP_AT_TOP}
    return set(SKIP_ANYWHERE(folder, names)) | top


OPTIONAL = {"rft:math_answer": "rft-kit[math]"}
"""Library graders whose type needs an optional extra the core install leaves out: name -> the extra to install."""


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    command = " ".join(args)
    assert done.returncode == 0, f"{command} exited {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh virtualenv with the wheel built from this checkout and the core dependencies; its bin dir and env."""
    base = tmp_path_factory.mktemp("wheel")
    # nothing from this checkout or the test's environment may leak into the fresh install
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("OPENAI")}
    env["NO_PROXY"] = "*"
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=_skip)
    # `python -m build` in a builder virtualenv: the sdist, then the wheel from the unpacked sdist (so MANIFEST.in is
    # tested too), each in an isolated environment with the build requirements pyproject.toml declares
    venv.create(base / "builder", with_pip=True)
    builder = base / "builder" / "bin" / "python"
    _run(
        [str(builder), "-m", "pip", "install", "-q", "--no-compile", "--disable-pip-version-check", "build"], base, env
    )
    _run([str(builder), "-m", "build", "-o", str(base / "dist"), str(source)], base, env, timeout=600)
    (wheel,) = (base / "dist").glob("rft_kit-*.whl")
    venv.create(base / "venv", with_pip=True)
    bin_dir = base / "venv" / "bin"
    _run(
        [str(bin_dir / "pip"), "install", "-q", "--no-compile", "--disable-pip-version-check", str(wheel)],
        base,
        env,
        timeout=600,
    )
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return bin_dir, env


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    work = tmp_path / "empty"
    work.mkdir()
    return work


def _rft(installed: tuple[Path, dict[str, str]], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    bin_dir, env = installed
    return _run([str(bin_dir / "rft"), *args], cwd, env)


def test_the_install_is_the_wheel_with_core_dependencies_only(installed, empty_dir: Path) -> None:
    bin_dir, env = installed
    probe = "import importlib.util, rft_kit; print(rft_kit.__file__); print(importlib.util.find_spec('math_verify'))"
    out = _run([str(bin_dir / "python"), "-c", probe], empty_dir, env).stdout.splitlines()
    assert "site-packages" in out[0] and not out[0].startswith(str(ROOT))
    assert out[1] == "None"  # the math extra is not installed


def test_templates_generate_and_their_graders_check_by_rft_name(installed, empty_dir: Path) -> None:
    templates = json.loads(_rft(installed, empty_dir, "templates", "--json").stdout)
    assert len(templates) >= 8
    for template in templates:
        out = empty_dir / f"{template['name']}.jsonl"
        _rft(installed, empty_dir, "generate", template["name"], "-n", "5", "--seed", "1", "-o", str(out), "-q")
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(rows) == 5 and all(r["metadata"]["template"] == template["name"] for r in rows)
    graders = [t["grader"] for t in templates]
    assert all(g.startswith("rft:") for g in graders)
    assert not set(graders) & set(OPTIONAL), "a template grader needs an extra: install it here"
    checked = _rft(installed, empty_dir, "check", *graders, "--junit", "check.xml")
    assert f"all checks passed ({len(graders)} grader file(s))" in checked.stdout
    assert (empty_dir / "check.xml").is_file()


def test_the_grader_library_lists_and_checks(installed, empty_dir: Path) -> None:
    library = json.loads(_rft(installed, empty_dir, "graders", "--json").stdout)
    names = [g["name"] for g in library]
    assert {"rft:exact_answer", "rft:tasks/arithmetic_word", *OPTIONAL} <= set(names)
    assert all(g["type"] and g["description"] for g in library)
    core = [n for n in names if n not in OPTIONAL]
    checked = _rft(installed, empty_dir, "check", *core)
    assert f"all checks passed ({len(core)} grader file(s))" in checked.stdout
    bin_dir, env = installed
    for name, extra in OPTIONAL.items():  # without its extra the grader fails its check and names the extra
        done = subprocess.run(
            [str(bin_dir / "rft"), "check", name], cwd=empty_dir, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 1 and f"pip install '{extra}'" in done.stdout


def test_demo_runs_from_an_empty_directory(installed, empty_dir: Path) -> None:
    done = _rft(installed, empty_dir, "demo")
    assert "SIMULATED" in done.stdout
    for run in ("demo-base", "demo-strong"):
        meta = json.loads((empty_dir / "runs" / run / "run.json").read_text())
        assert {s["status"] for s in meta["stages"].values()} == {"done"}
    assert (empty_dir / "runs" / "demo-strong" / "report.html").stat().st_size > 5000


def test_init_then_check_and_run_in_the_new_project(installed, empty_dir: Path) -> None:
    _rft(installed, empty_dir, "init", "my-project")
    project = empty_dir / "my-project"
    written = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    assert written == STARTER_FILES  # package data made it into the wheel, dot-files included
    assert "all checks passed" in _rft(installed, project, "check", "graders/", "--junit", "rft-check.xml").stdout
    _rft(installed, project, "run", "pipeline.yaml")
    folder = next((project / "runs").iterdir())
    meta = json.loads((folder / "run.json").read_text())
    assert {s["status"] for s in meta["stages"].values()} == {"done"}
    assert meta["model"]["simulated"] is True
    report = json.loads((folder / "report.json").read_text())
    assert report["counts"]["graded"] == report["counts"]["items"] * 4 > 0
