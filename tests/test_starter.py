"""`rft init`: the starter project is complete, checks, runs end to end offline, and its README's commands work."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rft_kit import __version__
from rft_kit.check import check_paths
from rft_kit.cli import app
from rft_kit.errors import ConfigError
from rft_kit.starter import create_project
from rft_kit.tasks import generate, load_template_grader
from rft_kit.tasks.user_template import load_user_template

runner = CliRunner()
EXPECTED = {
    ".github/workflows/rft-check.yml",
    ".gitignore",
    "README.md",
    "data/tickets.csv",
    "graders/ticket_queue.yaml",
    "pipeline.yaml",
    "task.yaml",
}


def _commands(text: str) -> list[list[str]]:
    """The `rft ...` lines of indented code blocks, comments dropped, in order."""
    return [shlex.split(line.split("#")[0])[1:] for line in re.findall(r"(?m)^ {4,}(rft .+)$", text)]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    result = runner.invoke(app, ["init", str(tmp_path / "my-rft")])
    assert result.exit_code == 0, result.output
    return tmp_path / "my-rft"


def test_init_writes_the_starter_files_filled_in(project: Path) -> None:
    written = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    assert written == EXPECTED
    for path in written:
        text = (project / path).read_text(encoding="utf-8")
        assert not re.search(r"@[A-Z_]+@", text), f"{path} keeps a placeholder"
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# my-rft:") and __version__ in readme
    for path in written:
        if path.endswith((".yaml", ".yml")):
            yaml.safe_load((project / path).read_text(encoding="utf-8"))


def test_the_template_reads_its_csv_and_its_reference_gets_the_full_reward(project: Path) -> None:
    gen = load_user_template(project / "task.yaml")
    assert set(gen.levels) == {"easy", "hard"}
    grader = load_template_grader(gen)
    items = list(generate(gen, 60, seed=3, difficulty="mixed"))
    labels = {row.split(",")[-1] for row in (project / "data/tickets.csv").read_text().splitlines()[1:]}
    assert {i["label"] for i in items} == labels
    for item in items:
        assert grader.grade(gen.reference_sample(item), item).reward == 1.0


def test_the_grader_passes_rft_check(project: Path) -> None:
    (report,) = check_paths([project / "graders"])
    assert not report.failed, [o.message for o in report.failed]
    assert sum(o.check.startswith("case") for o in report.outcomes) >= 5


def test_the_workflow_runs_rft_check_with_junit_and_its_commands_work(project: Path, monkeypatch) -> None:
    workflow = yaml.safe_load((project / ".github/workflows/rft-check.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["check"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert any(r.startswith("pip install") and f"rft-kit=={__version__}" in r for r in runs)
    rft_lines = [r for r in runs if r.startswith("rft ")]
    assert any(r.startswith("rft check") and "--junit rft-check.xml" in r for r in rft_lines)
    assert any(step.get("with", {}).get("path") == "rft-check.xml" for step in steps)
    monkeypatch.chdir(project)
    for line in rft_lines:
        result = runner.invoke(app, shlex.split(line)[1:])
        assert result.exit_code == 0, (line, result.output)
    junit = (project / "rft-check.xml").read_text(encoding="utf-8")
    assert 'failures="0"' in junit and "ticket_queue" in junit


def test_init_refuses_a_non_empty_folder_without_force(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / "task.yaml").write_text("mine")
    refused = runner.invoke(app, ["init", str(target)])
    assert refused.exit_code == 2
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    assert (target / "task.yaml").read_text() == "mine"
    forced = runner.invoke(app, ["init", str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (target / "notes.txt").read_text() == "mine"  # files that are not the starter's are left alone
    assert (target / "task.yaml").read_text() != "mine"


def test_init_into_an_empty_folder_or_onto_a_file(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert len(create_project(tmp_path / "empty").files) == len(EXPECTED)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        create_project(tmp_path / "file")


@pytest.mark.slow
def test_every_command_of_the_readme_works_in_order_offline(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(project)
    commands = _commands((project / "README.md").read_text(encoding="utf-8"))
    assert [c[0] for c in commands] == ["generate", "generate", "stats", "check", "run", "grade", "export"]
    for args in commands:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    run = json.loads((project / "runs/ticket-queue-sim-base/run.json").read_text())
    assert {s["status"] for s in run["stages"].values()} == {"done"}
    assert run["model"]["simulated"] is True
    report = json.loads((project / "runs/ticket-queue-sim-base/report.json").read_text())
    assert report["counts"]["graded"] == report["counts"]["scored"] == 32 * 4
    assert 0 < report["summary"]["mean_reward"] < 1  # the simulated model gets some right and some wrong
    assert (project / "job/job.json").is_file()
