"""``rft demo``: the whole loop offline with a SIMULATED model; no API key, no network."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from ..errors import RftKitError
from ..report import print_summary
from ..runs.demo import run_demo
from ._common import err_console, fail

_NOTICE = (
    "[bold yellow]SIMULATED MODEL.[/] This demo samples 'sim-base' and 'sim-strong', rule-based solvers served by a "
    "local OpenAI-compatible server in this process, through the real openai SDK. They are not language models: the "
    "numbers show the pipeline working (generate, sample, grade, report, compare), not any model's ability."
)
_AGENTIC_NOTICE = (
    "[bold yellow]SIMULATED AGENTS.[/] This demo rolls out 'sim-agent-base' and 'sim-agent-strong', deterministic "
    "tool-calling scripts that play each task's oracle plan with mistakes at set rates (wrong tool, bad arguments, "
    "stopping early, policy violations), served by a local OpenAI-compatible server in this process, through the real "
    "openai SDK and the real environments. They are not language models: the numbers show the agentic loop working "
    "(generate, roll out, grade the final state and trajectory, report, compare), not any model's ability."
)


def demo(
    runs_dir: Path = typer.Option(Path("runs"), "--runs-dir", help="Where the demo's two run folders go."),
    items: int = typer.Option(30, "--items", min=1, help="Tasks to generate."),
    samples: int = typer.Option(4, "--samples", min=1, help="Samples per task."),
    seed: int = typer.Option(7, "--seed", help="Task set seed."),
    agentic: bool = typer.Option(
        False, "--agentic", help="The agentic loop: roll out SIMULATED tool-calling agents against environments."
    ),
) -> None:
    """Generate tasks, sample a SIMULATED model twice (base, strong), grade, and write a comparison report.

    With --agentic: generate support-desk tasks, roll out SIMULATED agents (base, strong) against the store
    environment, grade the episodes on final state, trajectory and answer, and report with the agentic view."""
    console = Console()
    console.print(_AGENTIC_NOTICE if agentic else _NOTICE)
    start = time.perf_counter()
    try:
        result = run_demo(
            runs_dir,
            items=items,
            samples=samples,
            seed=seed,
            agentic=agentic,
            log=lambda line: err_console.print(line, markup=False, highlight=False),
        )
    except RftKitError as exc:
        fail(exc)
    if result.strong.report is not None:
        print_summary(result.strong.report, console)
    console.print(
        f"Reports: {result.base.folder.report_files[0]} and {result.strong.folder.report_files[0]} "
        f"(the second compares with the first). Done in {time.perf_counter() - start:.1f} s; the model was SIMULATED."
    )
