"""``rft rollout``: K multi-turn episodes per agentic item against an OpenAI-compatible endpoint, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..errors import RftKitError
from ..rollout import RolloutParams, RolloutSummary
from ..rollout import rollout as run_rollout
from ..sampling import SamplingParams
from ._common import count_lines, executor_choice, executor_option, fail, progress_bar, ray_address_option


def _table(summary: RolloutSummary, model: str) -> Table:
    table = Table(title=f"episodes: {model}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("episodes written now", str(summary.written))
    table.add_row("already rolled out (skipped)", str(summary.skipped))
    for reason, count in summary.stop_reasons.most_common():
        table.add_row(f"  stop: {reason}", str(count))
    table.add_row("failed episodes (recorded with an error)", str(summary.failed))
    table.add_row("turns / tool calls / tool errors", f"{summary.turns} / {summary.tool_calls} / {summary.tool_errors}")
    table.add_row("retries", str(summary.retries))
    table.add_row("tokens (prompt / completion)", f"{summary.prompt_tokens:,} / {summary.completion_tokens:,}")
    table.add_row("environment time", f"{summary.environment_ms / 1000:.2f} s")
    table.add_row("items skipped as malformed", str(summary.input_error_count))
    table.add_row("executor", summary.execution.describe())
    table.add_row("time", f"{summary.duration_s:.2f} s")
    return table


def rollout(
    tasks: Path = typer.Argument(
        ..., help="Agentic tasks JSONL (rows with messages, tools, environment).", show_default=False
    ),
    model: str = typer.Option(..., "--model", "-m", help="Model id sent to the endpoint (sim-agent-* are SIMULATED)."),
    output: Path = typer.Option(..., "--output", "-o", help="Episodes JSONL; an existing file is resumed, not redone."),
    n: int = typer.Option(1, "-n", "--samples-per-item", min=1, help="Episodes per item."),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="OpenAI-compatible endpoint, or 'local' for a local server in this process "
        "(default: OPENAI_BASE_URL, else OpenAI).",
    ),
    max_turns: int = typer.Option(10, "--max-turns", min=1, help="Model turns per episode at most."),
    token_budget: int | None = typer.Option(
        None, "--token-budget", min=1, help="Total tokens per episode (prompt + completion over all turns)."
    ),
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="Episodes in flight at most."),
    temperature: float | None = typer.Option(None, "--temperature", "-t", help="Sampling temperature."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", min=1, help="Completion token limit per turn."),
    seed: int = typer.Option(0, "--seed", help="Base seed; episode k is requested with seed + k."),
    max_retries: int = typer.Option(
        4, "--max-retries", min=0, help="Retries per call on 408/409/429/5xx and network errors."
    ),
    timeout: float = typer.Option(120.0, "--timeout", help="Per-request timeout in seconds."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Roll out again the episodes that failed."),
    summary_json: Path | None = typer.Option(None, "--summary-json", help="Also write the summary as JSON here."),
    executor: str = executor_option("one actor per node of a Ray cluster"),
    ray_address: str | None = ray_address_option(),
) -> None:
    """Roll out N episodes per item of TASKS with MODEL, executing its tool calls, and append them to OUTPUT."""
    try:
        params = RolloutParams(
            SamplingParams(
                model=model,
                n=n,
                temperature=temperature,
                max_tokens=max_tokens,
                seed=seed,
                concurrency=concurrency,
                max_retries=max_retries,
                timeout_s=timeout,
            ),
            max_turns=max_turns,
            token_budget=token_budget,
        )
    except ValueError as exc:
        fail(str(exc))
    executor = executor_choice(executor)
    items = count_lines(tasks)
    console = Console(stderr=True)
    try:
        with progress_bar("rolling out", None if items is None else items * n, console) as on_progress:
            summary = run_rollout(
                tasks,
                output,
                params,
                base_url=base_url,
                retry_errors=retry_errors,
                on_progress=on_progress,
                executor=executor,
                ray_address=ray_address,
            )
    except RftKitError as exc:
        fail(exc)
    console.print(_table(summary, model))
    if params.simulated_agent:
        console.print("[yellow]The model is a SIMULATED agent (rft-kit's local server), not a language model.[/]")
    for error in summary.input_errors[:10]:
        console.print(f"[yellow]skipped:[/] {error}")
    if summary_json is not None:
        summary_json.parent.mkdir(parents=True, exist_ok=True)
        summary_json.write_text(json.dumps(summary.to_dict(), indent=2) + "\n", encoding="utf-8")
    console.print(f"episodes written to {output}")
