"""Submitting through the SDK to a test server with a fake fine-tuning API (tests/export/fake_fine_tuning.py), which
checks requests like the hosted API and scripts the job."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import openai
import pytest
from typer.testing import CliRunner

from rft_kit.cli import app
from rft_kit.export.job_metrics import pull_metrics
from rft_kit.export.openai_job import OpenAIExportOptions, export_openai
from rft_kit.export.submit import make_client, submit_job_dir
from rft_kit.local_openai import LocalServer

from .conftest import GRADERS, qa_rows, tool_rows, write_jsonl
from .fake_fine_tuning import FineTuningStore, fine_tuning_routes

GRADER = {
    "type": "string_check",
    "name": "g",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "operation": "eq",
}


@pytest.fixture(scope="module")
def store() -> FineTuningStore:
    return FineTuningStore()


@pytest.fixture(scope="module")
def server(store: FineTuningStore) -> Iterator[LocalServer]:
    with LocalServer(default_embedding_model="hashing-embed-256", routes=fine_tuning_routes(store)) as srv:
        yield srv


@pytest.fixture
def client(server: LocalServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)


def _upload(client: openai.OpenAI, rows: list[dict], purpose: str = "fine-tune", name: str = "t.jsonl") -> str:
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    return client.files.create(file=(name, io.BytesIO(data)), purpose=purpose).id  # type: ignore[arg-type]


def _create(client: openai.OpenAI, **overrides):
    body = {
        "model": "o4-mini-2025-04-16",
        "training_file": overrides.pop("training_file", None) or _upload(client, qa_rows(8)),
        "method": {"type": "reinforcement", "reinforcement": {"grader": GRADER}},
    }
    body.update(overrides)
    return client.fine_tuning.jobs.create(**body)


def test_submit_uploads_and_creates_the_exported_job(server, store, client, tmp_path):
    tasks = write_jsonl(tmp_path / "tasks.jsonl", tool_rows(12))
    out = tmp_path / "job"
    export_openai(tasks, GRADERS / "tool_call.yaml", out, OpenAIExportOptions(hyperparameters={"n_epochs": 3}))
    created = submit_job_dir(out, make_client(server.base_url, "test"))
    assert created["status"] == "validating_files"
    job = json.loads((out / "job.json").read_text())
    assert job["training_file"].startswith("file-") and job["validation_file"].startswith("file-")
    assert json.loads((out / "submitted.json").read_text())["job_id"] == created["id"]
    received = store.create_requests[-1]
    assert received["method"]["reinforcement"]["grader"]["graders"]["days"]["type"] == "python"
    assert received["method"]["reinforcement"]["hyperparameters"] == {"n_epochs": 3}
    uploaded = store.get_file(job["training_file"])
    assert uploaded is not None and uploaded.content == (out / "train.jsonl").read_bytes()
    statuses = [client.fine_tuning.jobs.retrieve(created["id"]).status for _ in range(4)]
    assert statuses == ["queued", "running", "succeeded", "succeeded"]


def test_metrics_land_in_the_run_folder(server, client, tmp_path):
    job = _create(
        client,
        method={
            "type": "reinforcement",
            "reinforcement": {
                "grader": {
                    "type": "multi",
                    "name": "m",
                    "calculate_output": "(a + b) / 2",
                    "graders": {"a": GRADER, "b": {**GRADER, "name": "b"}},
                },
                "hyperparameters": {"n_epochs": 2, "batch_size": 2, "eval_interval": 2},
            },
        },
    )
    summary = pull_metrics(client, job.id, tmp_path / "run")
    steps = [json.loads(line) for line in (tmp_path / "run" / "training_metrics.jsonl").read_text().splitlines()]
    assert summary["steps"] == len(steps) == 8  # 2 epochs x 8 rows / batch 2
    assert [s["step"] for s in steps] == list(range(1, 9))
    assert set(steps[0]["graders"]) == {"g", "b"}
    assert steps[0]["errors"]["g"]["train_sample_parse_error_mean"] > 0
    valid = [s["valid_reward_mean"] for s in steps]
    assert valid[0] is None and valid[1] is not None  # validation every eval_interval steps
    assert steps[-1]["train_reward_mean"] > steps[0]["train_reward_mean"]
    events = (tmp_path / "run" / "events.jsonl").read_text().splitlines()
    assert len(events) == summary["events"] > 8
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id)
    assert [c.step_number for c in checkpoints] == [8, 6, 4, 2]
    saved = [json.loads(line) for line in (tmp_path / "run" / "checkpoints.jsonl").read_text().splitlines()]
    assert [c["step_number"] for c in saved] == [2, 4, 6, 8] and summary["checkpoints"] == 4


def test_event_pagination(client):
    job = _create(
        client,
        method={
            "type": "reinforcement",
            "reinforcement": {"grader": GRADER, "hyperparameters": {"n_epochs": 8, "batch_size": 1}},
        },
    )
    first = client.fine_tuning.jobs.list_events(job.id, limit=5)
    assert len(first.data) == 5 and first.has_more
    everything = list(client.fine_tuning.jobs.list_events(job.id, limit=5))
    assert len({e.id for e in everything}) == len(everything) == 20 + 4


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"model": ""}, "Missing required parameter: 'model'"),
        ({"training_file": "file-nope"}, "no such file"),
        ({"method": {"type": "rl"}}, "method.type"),
        ({"method": {"type": "reinforcement", "reinforcement": {}}}, "method.reinforcement.grader"),
        (
            {"method": {"type": "reinforcement", "reinforcement": {"grader": {**GRADER, "rft_options": {}}}}},
            "Unrecognized request argument supplied: method.reinforcement.grader.rft_options",
        ),
        (
            {
                "method": {
                    "type": "reinforcement",
                    "reinforcement": {
                        "grader": {"type": "multi", "name": "m", "calculate_output": "a", "graders": GRADER}
                    },
                }
            },
            "Invalid type for 'graders.type': expected an object, but got a str instead",
        ),
        (
            {
                "method": {
                    "type": "reinforcement",
                    "reinforcement": {"grader": {"type": "numeric", "name": "n", "input": "x", "reference": "y"}},
                }
            },
            "not a grader type of the hosted API",
        ),
        ({"extra_body": {"test_file": "file-x"}}, "Unrecognized request argument supplied: test_file"),
        ({"suffix": "s" * 65}, "suffix"),
    ],
)
def test_create_rejects_what_the_api_rejects(client, overrides, message):
    with pytest.raises(openai.BadRequestError, match=re.escape(message)):
        _create(client, **overrides)


def test_files_need_fine_tune_purpose(client):
    batch_file = _upload(client, qa_rows(2), purpose="batch")
    with pytest.raises(openai.BadRequestError, match="purpose 'batch'"):
        _create(client, training_file=batch_file)
    with pytest.raises(openai.BadRequestError, match=r"Must be \.jsonl"):
        _upload(client, qa_rows(2), name="t.csv")


def test_bad_training_rows_fail_the_job(client):
    rows = qa_rows(3)
    rows[1]["messages"][0]["role"] = "system"
    job = _create(client, training_file=_upload(client, rows))
    assert job.status == "failed"
    assert job.error is not None and job.error.code == "invalid_training_file"
    assert "line 2" in job.error.message and "developer" in job.error.message


def test_cli_export_submit_status_and_metrics(server, tmp_path):
    runner = CliRunner()
    tasks = write_jsonl(tmp_path / "tasks.jsonl", qa_rows(10))
    out = tmp_path / "job"
    env = {"OPENAI_API_KEY": "test"}
    result = runner.invoke(
        app,
        [
            "export",
            "openai",
            str(tasks),
            "-g",
            str(GRADERS / "exact_answer.yaml"),
            "-o",
            str(out),
            "--hyper",
            "n_epochs=1",
            "--submit",
            "--base-url",
            server.base_url,
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    job_id = json.loads(result.stdout)["id"]
    status = runner.invoke(app, ["job", "status", job_id, "--base-url", server.base_url], env=env)
    assert status.exit_code == 0 and json.loads(status.stdout)["status"] == "queued"
    metrics = runner.invoke(
        app, ["job", "metrics", job_id, "-o", str(tmp_path / "run"), "--base-url", server.base_url], env=env
    )
    assert metrics.exit_code == 0, metrics.output
    assert json.loads(metrics.stdout)["steps"] == 3  # 1 epoch x ceil(9 rows / batch 4)
    assert (tmp_path / "run" / "training_metrics.jsonl").exists()


def test_cli_export_refusal_exit_code(tmp_path):
    rows = qa_rows(4)
    rows[0]["messages"][0]["role"] = "system"
    tasks = write_jsonl(tmp_path / "tasks.jsonl", rows)
    result = CliRunner().invoke(
        app,
        [
            "export",
            "openai",
            str(tasks),
            "-g",
            str(GRADERS / "exact_answer.yaml"),
            "-o",
            str(tmp_path / "job"),
            "--hyper",
            "etest_samples=3",
        ],
    )
    assert result.exit_code == 1
    assert "use 'developer'" in result.output and "eval_samples" in result.output
    assert not (tmp_path / "job").exists()
