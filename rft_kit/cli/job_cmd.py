"""``rft job status JOB_ID`` and ``rft job metrics JOB_ID -o RUN_DIR``: follow a fine-tuning job."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import fail, print_json

app = typer.Typer(help="Follow fine-tuning jobs: status, events and training metrics.", no_args_is_help=True)

_BASE_URL = typer.Option(None, "--base-url", help="API base URL (default: $OPENAI_BASE_URL, else OpenAI).")


@app.command("status")
def status(
    job_id: str = typer.Argument(..., help="Fine-tuning job id (ftjob-...).", show_default=False),
    base_url: str | None = _BASE_URL,
) -> None:
    """Print the job's status, model and error (as JSON)."""
    import openai

    from ..export.submit import make_client

    try:
        job = make_client(base_url).fine_tuning.jobs.retrieve(job_id)
    except openai.OpenAIError as exc:
        fail(f"cannot retrieve {job_id}: {exc}")
    keys = ("id", "status", "model", "fine_tuned_model", "created_at", "finished_at", "error", "training_file")
    data = job.model_dump(mode="json", warnings=False)
    print_json({k: data.get(k) for k in keys})


@app.command("metrics")
def metrics(
    job_id: str = typer.Argument(..., help="Fine-tuning job id (ftjob-...).", show_default=False),
    output: Path = typer.Option(..., "--output", "-o", help="Run folder; writes training_metrics.jsonl there."),
    base_url: str | None = _BASE_URL,
) -> None:
    """Pull the job's events and per-step metrics into RUN_DIR/training_metrics.jsonl (for the iteration report)."""
    import openai

    from ..export.job_metrics import pull_metrics
    from ..export.submit import make_client

    try:
        summary = pull_metrics(make_client(base_url), job_id, output)
    except openai.OpenAIError as exc:
        fail(f"cannot read {job_id}: {exc}")
    print_json(summary)
