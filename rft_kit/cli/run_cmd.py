"""``rft run``: generate -> sample -> grade -> report into runs/<name>/, resuming an interrupted run."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ..errors import RftKitError
from ..report import print_summary
from ..runs import load_pipeline, run_pipeline
from ._common import err_console, fail


def run(
    pipeline: Path = typer.Argument(
        ..., help="Pipeline YAML: name, tasks, model, grader, baseline.", show_default=False
    ),
    runs_dir: Path = typer.Option(Path("runs"), "--runs-dir", help="Where run folders live."),
    base_url: str | None = typer.Option(None, "--base-url", help="Override the model's endpoint."),
) -> None:
    """Run every stage of PIPELINE; stages already done with the same inputs are skipped, interrupted ones resumed."""
    try:
        config = load_pipeline(pipeline)
        result = run_pipeline(
            config, runs_dir, log=lambda line: err_console.print(line, markup=False, highlight=False), base_url=base_url
        )
    except RftKitError as exc:
        fail(exc)
    console = Console()
    if result.simulated:
        console.print(
            f"[bold yellow]NOTE:[/] model {config.model.params.model} is SIMULATED (a rule-based solver on a local "
            "server), not a language model."
        )
    if result.report is not None:
        print_summary(result.report, console)
    console.print(f"run folder: {result.folder.path} (report: {result.folder.report_files[0]})")
