"""``rft export openai|azure|trl|verl|verifiers|bedrock|hf``: package a task set and its grader for a trainer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer

from ..errors import RftKitError
from ._common import err_console, fail, print_json

_R = TypeVar("_R")

app = typer.Typer(
    help="Package tasks and a grader for OpenAI/Azure (agentic) RFT, TRL, verl, verifiers, Bedrock or HF datasets.",
    no_args_is_help=True,
)

_TASKS = typer.Argument(..., help="Task set JSONL (one RFT row per line).", show_default=False)
_GRADER = typer.Option(..., "--grader", "-g", help="Grader file, or rft:NAME (see `rft graders`).")
_OUT = typer.Option(..., "--output", "-o", help="Output folder.")


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep:
            fail(f"{flag} expects key=value, got {value!r}")
        out[key] = rest
    return out


@app.command("openai")
def openai_job(
    tasks: Path = _TASKS,
    grader: Path = _GRADER,
    output: Path = _OUT,
    valid: Path | None = typer.Option(None, "--valid", help="Validation JSONL (default: hold out --split)."),
    split: float = typer.Option(0.1, "--split", help="Fraction held out for validation when --valid is not given."),
    model: str = typer.Option("o4-mini-2025-04-16", "--model", help="Base model."),
    hyper: list[str] = typer.Option([], "--hyper", help="Hyperparameter name=value (repeatable), e.g. n_epochs=2."),
    response_format: Path | None = typer.Option(
        None, "--response-format", help="JSON file: a response_format or a bare JSON Schema (for sample.output_json)."
    ),
    suffix: str | None = typer.Option(None, "--suffix", help="Fine-tuned model name suffix (<= 64 chars)."),
    seed: int = typer.Option(42, "--seed", help="Job seed (also seeds the validation split)."),
    metadata: list[str] = typer.Option([], "--metadata", help="Job metadata key=value (repeatable)."),
    azure: bool = typer.Option(False, "--azure", help="Emit the Azure OpenAI variant."),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help="Azure only: grade through an endpoint grader at this URL (rft serve)."
    ),
    endpoint_token: str | None = typer.Option(None, "--endpoint-token", help="Bearer token for the endpoint grader."),
    sample_size: int = typer.Option(20, "--grade-sample", min=0, help="Rows graded locally before export."),
    submit: bool = typer.Option(False, "--submit", help="Upload the files and create the job through the SDK."),
    base_url: str | None = typer.Option(
        None, "--base-url", help="API base URL for --submit (default $OPENAI_BASE_URL)."
    ),
) -> None:
    """Write train.jsonl, valid.jsonl, grader.json and job.json after checking all the hosted service would reject."""
    from ..export.hyper import parse_hyper
    from ..export.openai_job import OpenAIExportOptions, export_openai

    try:
        hyperparameters = parse_hyper(hyper)
    except ValueError as exc:
        fail(str(exc))
    options = OpenAIExportOptions(
        valid=valid,
        split=split,
        model=model,
        hyperparameters=hyperparameters,
        response_format=response_format,
        suffix=suffix,
        seed=seed,
        metadata=_pairs(metadata, "--metadata"),
        azure=azure,
        endpoint_url=endpoint_url,
        endpoint_token=endpoint_token,
        sample_size=sample_size,
    )
    result = _export_or_fail(lambda: export_openai(tasks, grader, output, options))
    _report_issues(result.issues)
    err_console.print(
        f"wrote {output}/ (train {result.train_rows} rows, valid {result.valid_rows} rows, "
        f"graded {result.graded_rows} rows locally)"
    )
    if submit:
        _submit(output, base_url)


def _submit(output: Path, base_url: str | None) -> None:
    import openai

    from ..export.submit import make_client, submit_job_dir

    try:
        job = submit_job_dir(output, make_client(base_url))
    except openai.OpenAIError as exc:
        fail(f"submit failed: {exc}", code=1)
    except RftKitError as exc:
        fail(exc)
    print_json({"id": job["id"], "status": job["status"], "model": job["model"]})


def _report_issues(issues: object) -> None:
    for warning in getattr(issues, "warnings", [])[:20]:
        err_console.print(f"[yellow]warning:[/] {warning}", markup=True, soft_wrap=True)


def _export_or_fail(export: Callable[[], _R]) -> _R:
    """Run one export: failed checks print their warnings and exit 1, an unreadable input exits 2."""
    from ..export.issues import ExportError

    try:
        return export()
    except ExportError as exc:
        _report_issues(exc.issues)
        fail(exc, code=1)
    except RftKitError as exc:
        fail(exc)


@app.command("azure")
def azure_job(
    tasks: Path = _TASKS,
    grader: Path = _GRADER,
    output: Path = _OUT,
    tools_url: str = typer.Option(
        ..., "--tools-url", help="Public base URL of `rft serve-tools`; tool NAME is called at URL/tools/NAME."
    ),
    grader_url: str | None = typer.Option(
        None, "--grader-url", help="Base URL of `rft serve-tools --grader G`: an endpoint grader at URL/grade."
    ),
    grader_mode: str = typer.Option(
        "auto", "--grader-mode", help="auto (hosted python where the grader compiles, else endpoint), python, endpoint."
    ),
    token_env: str = typer.Option(
        "RFT_SERVE_TOKEN", "--token-env", help="Environment variable holding serve-tools' bearer token."
    ),
    no_auth: bool = typer.Option(False, "--no-auth", help="Send no auth header (serve-tools runs without --token)."),
    max_episode_steps: int = typer.Option(10, "--max-episode-steps", help="Most tool-calling steps per rollout."),
    rate_limit: int = typer.Option(50, "--rate-limit", help="Endpoint grader: requests per second at most."),
    pass_threshold: float | None = typer.Option(None, "--pass-threshold", help="Endpoint grader pass threshold."),
    valid: Path | None = typer.Option(None, "--valid", help="Validation JSONL (default: hold out --split)."),
    split: float = typer.Option(0.1, "--split", help="Fraction held out for validation when --valid is not given."),
    model: str = typer.Option("o4-mini-2025-04-16", "--model", help="Base model."),
    hyper: list[str] = typer.Option(
        [], "--hyper", help="Hyperparameter name=value (repeatable), e.g. eval_interval=3."
    ),
    suffix: str | None = typer.Option(None, "--suffix", help="Fine-tuned model name suffix (<= 64 chars)."),
    seed: int = typer.Option(42, "--seed", help="Job seed (also seeds the validation split)."),
    metadata: list[str] = typer.Option([], "--metadata", help="Job metadata key=value (repeatable)."),
    sample_size: int = typer.Option(20, "--grade-sample", min=0, help="Oracle episodes graded locally before export."),
) -> None:
    """Write an Azure agentic RFT job folder (rows with tools, job.json with tools and max_episode_steps, grader)."""
    from ..export.azure_agentic import AzureAgenticOptions, export_azure
    from ..export.hyper import parse_hyper

    if grader_mode not in ("auto", "python", "endpoint"):
        fail(f"--grader-mode must be auto, python or endpoint, got {grader_mode!r}")
    try:
        hyperparameters = parse_hyper(hyper)
    except ValueError as exc:
        fail(str(exc))
    options = AzureAgenticOptions(
        tools_url=tools_url,
        grader_url=grader_url,
        grader_mode=grader_mode,  # type: ignore[arg-type]  # checked above
        token_env=token_env,
        no_auth=no_auth,
        max_episode_steps=max_episode_steps,
        rate_limit=rate_limit,
        pass_threshold=pass_threshold,
        valid=valid,
        split=split,
        model=model,
        hyperparameters=hyperparameters,
        suffix=suffix,
        seed=seed,
        metadata=_pairs(metadata, "--metadata"),
        sample_size=sample_size,
    )
    result = _export_or_fail(lambda: export_azure(tasks, grader, output, options))
    _report_issues(result.issues)
    err_console.print(
        f"wrote {output}/ (train {result.train_rows} rows, valid {result.valid_rows} rows, "
        f"{len(result.tools)} tools, {result.grader['type']} grader, "
        f"{result.graded_rows} oracle episodes graded locally)",
        soft_wrap=True,
    )


@app.command("trl")
def trl(tasks: Path = _TASKS, output: Path = _OUT) -> None:
    """Write the tasks in TRL's conversational prompt format (a datasets.Dataset on disk + train.jsonl)."""
    from ..export.trl import export_trl

    try:
        result = export_trl(tasks, output)
    except RftKitError as exc:
        fail(exc, code=1)
    err_console.print(
        f"wrote {result.rows} rows to {output}/dataset and {output}/train.jsonl ({', '.join(result.columns)})"
    )


@app.command("verl")
def verl(
    tasks: Path = _TASKS,
    grader: Path = _GRADER,
    output: Path = _OUT,
    data_source: str | None = typer.Option(
        None, "--data-source", help="data_source column (default rft_kit/<grader>)."
    ),
    ability: str = typer.Option("rft", "--ability", help="ability column."),
    reference: str | None = typer.Option(None, "--reference", help="Item field used as ground_truth."),
) -> None:
    """Write train.parquet in verl's format and a compute_score.py that grades with GRADER."""
    from ..export.verl import export_verl, verl_config_hint

    try:
        result = export_verl(tasks, grader, output, data_source=data_source, ability=ability, reference=reference)
    except RftKitError as exc:
        fail(exc, code=1)
    err_console.print(
        f"wrote {result.rows} rows to {output}/train.parquet; verl: {verl_config_hint(output / 'compute_score.py')}; "
        f"{result.describe_reference()}",
        soft_wrap=True,
    )


@app.command("verifiers")
def verifiers_pkg(
    tasks: Path = _TASKS,
    grader: Path = _GRADER,
    output: Path = _OUT,
    name: str | None = typer.Option(None, "--name", help="Module name (default rft_<grader name>)."),
) -> None:
    """Write an installable verifiers environment package (pip install DIR; load_environment())."""
    from ..export.issues import ExportError
    from ..export.verifiers_pkg import export_verifiers

    try:
        result = export_verifiers(tasks, grader, output, name=name)
    except ExportError as exc:
        fail(exc, code=1)
    except RftKitError as exc:
        fail(exc)
    _report_issues(result.issues)
    tools = f", tools of {result.environment!r}" if result.environment else ""
    err_console.print(
        f"wrote {output}/ (module {result.module}: {result.rows} tasks{tools}); pip install {output}, then "
        f"{result.module}.load_environment() or vf-eval {result.module}",
        soft_wrap=True,
    )


@app.command("bedrock")
def bedrock(tasks: Path = _TASKS, grader: Path = _GRADER, output: Path = _OUT) -> None:
    """Write train.jsonl in Bedrock's RFT format and lambda/: a reward-Lambda package that grades with GRADER."""
    from ..export.bedrock import export_bedrock
    from ..export.issues import ExportError

    try:
        result = export_bedrock(tasks, grader, output)
    except ExportError as exc:
        fail(exc, code=1)
    except RftKitError as exc:
        fail(exc)
    _report_issues(result.issues)
    err_console.print(
        f"wrote {result.rows} records to {output}/train.jsonl and the reward Lambda to {output}/lambda/ "
        f"(handler.lambda_handler; see {output}/README.md for its dependencies)",
        soft_wrap=True,
    )


@app.command("hf")
def hf(
    tasks: Path = _TASKS,
    output: Path = _OUT,
    push_to_hub: str | None = typer.Option(None, "--push-to-hub", help="Also push to this Hub repo id (network)."),
) -> None:
    """Save a task set as a Hugging Face Dataset (save_to_disk; push_to_hub only when asked)."""
    from ..export.hf import read_jsonl, save_dataset, task_dataset

    try:
        rows = read_jsonl(tasks)
        save_dataset(task_dataset(rows), output, push_to_hub=push_to_hub)
    except RftKitError as exc:
        fail(exc, code=1)
    err_console.print(f"wrote {len(rows)} rows to {output}")
