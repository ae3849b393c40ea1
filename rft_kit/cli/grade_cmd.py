"""``rft grade``: grade a samples file against its items, streaming, resumable, on every core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..errors import RftKitError
from ..graders.loading import build_grader, read_grader_file
from ..graders.python_grader import uses_sandbox
from ..grading import GradeSummary, load_items
from ..grading import grade as run_grading
from ..sandbox import warm_up_in_background
from ._common import (
    PlacementChoice,
    count_lines,
    err_console,
    executor_choice,
    executor_option,
    fail,
    ray_address_option,
    write_json_file,
)

MAX_PRINTED_INPUT_ERRORS = 20


def grade(
    grader_file: Path = typer.Argument(
        ..., help="Grader file (.json, .yaml or .yml) or rft:NAME (see `rft graders`).", show_default=False
    ),
    samples: Path = typer.Option(..., "--samples", "-s", help="Samples JSONL (one model output per line)."),
    items: Path | None = typer.Option(
        None, "--items", "-i", help="Items JSONL (task rows). Omit when samples are {item, sample} records."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Grades JSONL; an existing file is resumed, not redone."),
    workers: str = typer.Option(
        "auto", "--workers", "-w", help="Worker processes, or 'auto' (all cores when it pays)."
    ),
    batch_size: int = typer.Option(256, "--batch-size", min=1, help="Samples per batch."),
    join: str = typer.Option("auto", "--join", help="How samples find items: auto, id, line or embedded."),
    pass_threshold: float | None = typer.Option(
        None,
        "--pass-threshold",
        help="Reward counted as a pass (default: the grader's pass_threshold, else 1.0).",
    ),
    summary_json: Path | None = typer.Option(None, "--summary-json", help="Also write the summary as JSON here."),
    placement: PlacementChoice = typer.Option(PlacementChoice.any, "--placement", help="Placement rules to apply."),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="A baseline run's samples: each item gets baseline_output (for pairwise_judge)."
    ),
    executor: str = executor_option("actors on every node of a Ray cluster"),
    ray_address: str | None = ray_address_option(),
) -> None:
    """Grade SAMPLES against ITEMS with GRADER_FILE and write one grade per line to OUTPUT."""
    if join not in ("auto", "id", "line", "embedded"):
        fail(f"--join must be auto, id, line or embedded, got {join!r}")
    executor = executor_choice(executor)
    n_workers: int | str = workers
    if workers != "auto":
        try:
            n_workers = int(workers)
        except ValueError:
            fail(f"--workers must be a number or 'auto', got {workers!r}")
        if int(n_workers) < 1:
            fail("--workers must be at least 1")
    try:
        file = read_grader_file(grader_file, placement=placement.value)
        grader = build_grader(file.config, source=file.source)
    except RftKitError as exc:
        fail(exc)
    if executor == "local" and uses_sandbox(grader):
        warm_up_in_background()  # the sandbox's servers start while the inputs are counted and read

    item_source: Any = items
    if baseline is not None:
        if items is None:
            fail("--baseline needs --items (the baseline outputs are joined onto the items by id)")
        from ..judge.baseline import join_baseline  # the judge stack (pydantic, ...) only when it is used

        try:
            item_source = join_baseline(load_items(items)[1], baseline)
        except RftKitError as exc:
            fail(exc)
    total = count_lines(samples)
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]grading[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )
    try:
        with progress:
            task = progress.add_task("grading", total=total)
            summary = run_grading(
                grader,
                samples,
                item_source,
                output=output,
                workers=n_workers,  # type: ignore[arg-type]
                batch_size=batch_size,
                join=join,  # type: ignore[arg-type]
                pass_threshold=pass_threshold,
                on_progress=lambda n: progress.advance(task, n),
                executor=executor,
                ray_address=ray_address,
            )
    except RftKitError as exc:
        fail(exc)
    except KeyboardInterrupt:
        err_console.print("interrupted: every finished grade is saved; run the same command again to resume")
        raise typer.Exit(130) from None

    _report(summary, grader.name)
    if summary_json is not None:
        write_json_file(summary_json, summary.to_dict(), what="summary")


def _report(summary: GradeSummary, name: str) -> None:
    for error in summary.input_errors[:MAX_PRINTED_INPUT_ERRORS]:
        err_console.print(f"[yellow]skipped input:[/] {error}", soft_wrap=True)
    if summary.input_error_count > MAX_PRINTED_INPUT_ERRORS:
        err_console.print(f"... and {summary.input_error_count - MAX_PRINTED_INPUT_ERRORS} more input errors")
    table = Table(title=f"grades: {name}", show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("graded now", str(summary.graded))
    table.add_row("already graded (skipped)", str(summary.skipped))
    table.add_row("mean reward (errors as 0)", f"{summary.mean_reward:.4f}")
    table.add_row("mean reward (scored only)", f"{summary.mean_scored_reward:.4f}")
    table.add_row(f"pass rate (reward >= {summary.pass_threshold:g})", f"{summary.pass_rate:.2%}")
    table.add_row("errors", f"{summary.errored} ({summary.error_rate:.2%})")
    for kind, count in sorted(summary.error_kinds.items()):
        table.add_row(f"  {kind}", str(count))
    table.add_row("input lines skipped", str(summary.input_error_count))
    if summary.escaped_records:
        table.add_row("records with escaped text (see output_escapes)", str(summary.escaped_records))
    table.add_row("workers", str(summary.workers))
    rate = summary.graded / summary.duration_s if summary.duration_s > 0 else 0.0
    table.add_row("executor", summary.execution.describe())
    for node, chunks in summary.execution.chunks_by_node.most_common():
        table.add_row(f"  node {node[:12]}", f"{chunks} chunks")
    table.add_row("time", f"{summary.duration_s:.2f} s ({rate:,.0f} samples/s)")
    err_console.print(table)
    err_console.print(f"grades written to {summary.output}")
