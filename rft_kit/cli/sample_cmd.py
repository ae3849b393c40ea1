"""``rft sample``: K samples per item from an OpenAI-compatible endpoint, streaming, resumable."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..errors import RftKitError
from ..sampling import SamplingParams
from ..sampling import sample as run_sampling
from ._common import count_lines, fail, progress_bar, write_json_file


class DeveloperRoleChoice(StrEnum):
    """What to do with ``developer`` messages."""

    keep = "keep"
    system = "system"


def _response_format(path: Path | None) -> dict[str, object] | None:
    if path is None:
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"--response-format {path}: {exc}")
    if not isinstance(value, dict) or "type" not in value:
        fail(f"--response-format {path}: expected an object like {{'type': 'json_schema', 'json_schema': {{...}}}}")
    return value


def sample(
    tasks: Path = typer.Argument(..., help="Tasks JSONL (RFT rows with an 'id').", show_default=False),
    model: str = typer.Option(..., "--model", "-m", help="Model id sent to the endpoint."),
    output: Path = typer.Option(..., "--output", "-o", help="Samples JSONL; an existing file is resumed, not redone."),
    n: int = typer.Option(1, "-n", "--samples-per-item", min=1, help="Samples per item."),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="OpenAI-compatible endpoint (default: OPENAI_BASE_URL, else OpenAI); 'local': simulated, in-process.",
    ),
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="Requests in flight at most."),
    temperature: float | None = typer.Option(None, "--temperature", "-t", help="Sampling temperature."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", min=1, help="Completion token limit."),
    top_p: float | None = typer.Option(None, "--top-p", help="Nucleus sampling."),
    seed: int = typer.Option(0, "--seed", help="Base seed; sample k is requested with seed + k."),
    response_format: Path | None = typer.Option(
        None, "--response-format", help="JSON file with a response_format to send (overrides the items')."
    ),
    developer_role: DeveloperRoleChoice = typer.Option(
        DeveloperRoleChoice.keep, "--developer-role", help="Send developer messages as is, or as system messages."
    ),
    max_retries: int = typer.Option(4, "--max-retries", min=0, help="Retries on 408/409/429/5xx and network errors."),
    timeout: float = typer.Option(
        120.0, "--timeout", help="Seconds one attempt may take in all (connect, headers, body), not per read."
    ),
    max_reply_mb: float = typer.Option(
        16.0, "--max-reply-mb", min=0.001, help="Largest reply read, after decompression; a larger one is an error."
    ),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Sample again the pairs whose call failed."),
    summary_json: Path | None = typer.Option(None, "--summary-json", help="Also write the summary as JSON here."),
) -> None:
    """Sample N outputs per item of TASKS from MODEL and append them to OUTPUT (one sample per line)."""
    try:
        params = SamplingParams(
            model=model,
            n=n,
            temperature=temperature,
            max_tokens=max_tokens,
            top_p=top_p,
            seed=seed,
            developer_role=developer_role.value,
            response_format=_response_format(response_format),
            concurrency=concurrency,
            max_retries=max_retries,
            timeout_s=timeout,
            max_reply_bytes=int(max_reply_mb * 1024 * 1024),
        )
    except ValueError as exc:
        fail(str(exc))
    items = count_lines(tasks)
    console = Console(stderr=True)
    try:
        with progress_bar("sampling", None if items is None else items * n, console) as on_progress:
            summary = run_sampling(
                tasks,
                output,
                params,
                base_url=base_url,
                retry_errors=retry_errors,
                on_progress=on_progress,
            )
    except RftKitError as exc:
        fail(exc)
    table = Table(title=f"samples: {model}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("written now", str(summary.written))
    table.add_row("already sampled (skipped)", str(summary.skipped))
    table.add_row("failed calls (recorded with an error)", str(summary.failed))
    for kind, count in summary.errors_by_kind.most_common():
        table.add_row(f"  {kind}", str(count))
    table.add_row("retries", str(summary.retries))
    table.add_row("tokens (prompt / completion)", f"{summary.prompt_tokens:,} / {summary.completion_tokens:,}")
    table.add_row("items skipped as malformed", str(summary.input_error_count))
    if summary.escaped_records:
        table.add_row("records with escaped text (see output_escapes)", str(summary.escaped_records))
    table.add_row("time", f"{summary.duration_s:.2f} s")
    console.print(table)
    for error in summary.input_errors[:10]:
        console.print(f"[yellow]skipped:[/] {error}")
    if summary_json is not None:
        write_json_file(summary_json, summary.to_dict(), what="summary")
    console.print(f"samples written to {output}")
