"""``rft export azure``: the agentic job folder (a tool per row tool, endpoint or compiled grader), checked first."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter
from typer.testing import CliRunner

from rft_kit import load_grader
from rft_kit.cli import app
from rft_kit.environments import environment_class
from rft_kit.export import ExportError
from rft_kit.export.azure_agentic import AzureAgenticOptions, AzureToolParam, EndpointGraderParam, export_azure
from rft_kit.graders.loading import read_grader_file
from rft_kit.records import Sample
from rft_kit.tasks import generate, get_template

from .conftest import REPO, write_jsonl

GRADER = REPO / "graders" / "tasks" / "support_desk.yaml"
TOOLS = "https://tools.example.com"


def _rows(n: int = 12, template: str = "support_desk") -> list[dict[str, Any]]:
    return [dict(item) for item in generate(get_template(template), n, seed=5)]


@pytest.fixture
def tasks(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "tasks.jsonl", _rows())


@pytest.fixture
def calls_grader(tmp_path: Path) -> Path:
    """The trajectory part of support_desk's grader alone: compiles to a hosted python grader."""
    config = read_grader_file(GRADER).config["graders"]["calls"]
    path = tmp_path / "calls.yaml"
    path.write_text(yaml.safe_dump({**config, "name": "support_calls"}))
    return path


def _sdk_check(job: dict[str, Any]) -> None:
    """The openai SDK's own types for the job, Azure's documented shapes for what the SDK does not type."""
    from openai.types.fine_tuning.job_create_params import JobCreateParams

    reinforcement = dict(job["method"]["reinforcement"])
    for tool in reinforcement.pop("tools"):
        TypeAdapter(AzureToolParam).validate_python(tool)
    assert isinstance(reinforcement.pop("max_episode_steps"), int)
    grader = reinforcement["grader"]
    if grader["type"] == "endpoint":
        TypeAdapter(EndpointGraderParam).validate_python(grader)
        reinforcement["grader"] = {"type": "string_check", "name": "x", "input": "", "reference": "", "operation": "eq"}
    TypeAdapter(JobCreateParams).validate_python({**job, "method": {**job["method"], "reinforcement": reinforcement}})


def test_endpoint_job_lists_every_row_tool_with_the_token_from_the_environment(tasks, tmp_path, monkeypatch):
    monkeypatch.setenv("RFT_SERVE_TOKEN", "tok-123")
    out = tmp_path / "job"
    result = export_azure(tasks, GRADER, out, AzureAgenticOptions(tools_url=TOOLS + "/", grader_url=TOOLS))
    job = json.loads((out / "job.json").read_text())
    reinforcement = job["method"]["reinforcement"]
    rows = [json.loads(line) for f in ("train.jsonl", "valid.jsonl") for line in (out / f).read_text().splitlines()]
    assert len(rows) == 12 and all(r["tools"] for r in rows)  # rows keep their tools
    row_tools = {t["function"]["name"] for r in rows for t in r["tools"]}
    assert {t["name"] for t in reinforcement["tools"]} == row_tools == set(result.tools)
    for tool in reinforcement["tools"]:
        assert tool["server_url"] == f"{TOOLS}/tools/{tool['name']}"
        assert tool["headers"] == {"Authorization": "Bearer tok-123"}
    assert reinforcement["grader"] == {
        "type": "endpoint",
        "name": "support_desk",
        "url": f"{TOOLS}/grade",
        "headers": {"Authorization": "Bearer tok-123"},
        "rate_limit": 50,
    }
    assert reinforcement["max_episode_steps"] == 10
    assert json.loads((out / "grader.json").read_text()) == reinforcement["grader"]
    assert stat.S_IMODE((out / "job.json").stat().st_mode) == 0o600  # it holds the token
    assert "tok-123" not in (out / "export_report.json").read_text()
    assert result.graded_rows == 12  # every row's oracle episode graded locally
    _sdk_check(job)


def test_trajectory_grader_compiles_to_python_that_agrees_on_oracle_episodes(tasks, calls_grader, tmp_path):
    out = tmp_path / "job"
    options = AzureAgenticOptions(tools_url=TOOLS, no_auth=True, hyperparameters={"eval_interval": 3})
    result = export_azure(tasks, calls_grader, out, options)
    job = json.loads((out / "job.json").read_text())
    grader = job["method"]["reinforcement"]["grader"]
    assert grader["type"] == "python" and "def grade(sample, item)" in grader["source"]
    assert all(t["headers"] == {} for t in job["method"]["reinforcement"]["tools"])
    assert any("--no-auth" in str(w) for w in result.issues.warnings)
    _sdk_check(job)
    # The compiled source, run as the hosted service runs it, gives the local grader's reward on real episodes.
    namespace: dict[str, Any] = {}
    exec(compile(grader["source"], "<hosted>", "exec"), namespace)
    local = load_grader(calls_grader)
    gen = get_template("support_desk")
    for row in _rows(4):
        sample = Sample.from_obj(gen.reference_sample(row))
        assert namespace["grade"](sample.hosted_namespace(), row) == local.grade(sample, row).reward == 1.0


def test_refusals_name_the_problem_and_write_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("RFT_SERVE_TOKEN", raising=False)
    rows = _rows(4)
    rows[1].pop("environment")
    rows[2]["tools"] = [*rows[2]["tools"], {"type": "function", "function": {"name": "launch_rocket"}}]
    rows[3]["tools"] = []
    tasks = write_jsonl(tmp_path / "tasks.jsonl", rows)
    out = tmp_path / "job"
    with pytest.raises(ExportError) as info:
        export_azure(tasks, GRADER, out, AzureAgenticOptions(tools_url="ftp://x", max_episode_steps=0, split=0.5))
    text = str(info.value)
    assert "$RFT_SERVE_TOKEN is not set" in text
    assert "--tools-url: 'ftp://x' must be an http(s) URL" in text
    assert "final_state cannot be exported" in text and "no --grader-url was given" in text
    assert "tasks.jsonl line 2: environment" in text
    assert "tool 'launch_rocket' is not served by environment 'support_store'" in text
    assert "tasks.jsonl line 4: tools" in text
    assert not out.exists()


def test_a_short_episode_budget_is_a_warning_with_the_needed_steps(tasks, calls_grader, tmp_path):
    result = export_azure(
        tasks, calls_grader, tmp_path / "job", AzureAgenticOptions(tools_url=TOOLS, no_auth=True, max_episode_steps=1)
    )
    (warning,) = [w for w in result.issues.warnings if w.where == "--max-episode-steps"]
    assert "fewer than the" in warning.message and "--max-episode-steps" in warning.fix


def test_tools_match_the_environment_the_rows_name(tasks, tmp_path):
    result = export_azure(
        tasks, GRADER, tmp_path / "job", AzureAgenticOptions(tools_url=TOOLS, grader_url=TOOLS, no_auth=True)
    )
    served = {s["function"]["name"] for s in environment_class("support_store").tool_schemas()}
    assert set(result.tools) <= served


def test_cli(tasks, tmp_path, monkeypatch):
    monkeypatch.setenv("MY_TOKEN", "abc")
    out = tmp_path / "job"
    args = ["export", "azure", str(tasks), "-g", "rft:tasks/support_desk", "--tools-url", TOOLS, "-o", str(out)]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1 and "--grader-url" in refused.output and not out.exists()
    ok = CliRunner().invoke(
        app,
        [
            *args,
            "--grader-url",
            TOOLS,
            "--token-env",
            "MY_TOKEN",
            "--max-episode-steps",
            "24",
            "--hyper",
            "eval_samples=5",
        ],
    )
    assert ok.exit_code == 0, ok.output
    job = json.loads((out / "job.json").read_text())
    assert job["method"]["reinforcement"]["max_episode_steps"] == 24
    assert job["method"]["reinforcement"]["hyperparameters"] == {"eval_samples": 5}
    assert job["method"]["reinforcement"]["grader"]["headers"] == {"Authorization": "Bearer abc"}
