"""``rft report``: the iteration report of a run folder, optionally against a baseline run."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ..errors import RftKitError
from ..report import make_report, print_summary, write_report
from ._common import fail


def report(
    run_dir: Path = typer.Argument(
        ..., help="Run folder with grades.jsonl (and run.json, tasks, samples).", show_default=False
    ),
    baseline: Path | None = typer.Option(None, "--baseline", "-b", help="The previous iteration's run folder."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="report.html path (default RUN_DIR/report.html); .md and .json go beside it."
    ),
    pass_threshold: float | None = typer.Option(
        None, "--pass-threshold", help="Reward counted as a pass (default: the grader's pass_threshold, else 1.0)."
    ),
) -> None:
    """Write report.html (self-contained, opens offline), report.md and report.json for RUN_DIR."""
    try:
        data = make_report(run_dir, baseline, pass_threshold=pass_threshold)
    except RftKitError as exc:
        fail(exc)
    html, md, js = write_report(data, output or run_dir / "report.html")
    console = Console()
    print_summary(data, console)
    console.print(f"report written to {html} (+ {md.name}, {js.name})")
