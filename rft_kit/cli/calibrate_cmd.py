"""``rft calibrate``: how well does a judge agree with human labels, and with itself?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from ..calibration.run import LOWER_IS_BETTER, check_thresholds, run_calibration
from ..errors import InputError, RftKitError
from ..graders.loading import build_grader, read_grader_file
from ..io.jsonl import iter_jsonl
from ..viewer.labels import latest_rows
from ._common import PlacementChoice, err_console, fail, write_json_file

_METRICS = ("accuracy", "kappa", "spearman", "mae", "mean_variance", "flip_rate", "position_consistency")


def _read_rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for line in iter_jsonl(path):
        if line.error is not None:
            raise line.error
        if not isinstance(line.value, dict) or "label" not in line.value:
            raise InputError("each row must be an object {item, sample, label}", source=str(path), line=line.number)
        rows.append(line.value)
    # a labels.jsonl from `rft view` is append-only: only each labeller's latest verdict on a sample counts
    return [dict(row) for row in latest_rows(rows)]


def _parse_thresholds(specs: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for spec in specs:
        metric, sep, value = spec.partition("=")
        try:
            out[metric.strip()] = float(value)
        except ValueError:
            fail(f"--threshold takes METRIC=VALUE (e.g. kappa=0.6), got {spec!r}")
        if not sep or metric.strip() not in (*_METRICS, "judge_errors"):
            fail(f"--threshold metric must be one of {', '.join(_METRICS)}, judge_errors; got {spec!r}")
    return out


def _table(report: dict[str, Any], name: str) -> Table:
    table = Table(title=f"calibration: {name}", show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in ("rows", "graded", "judge_errors", "label_kind", "pass_threshold", "repeats", *_METRICS, "judge_tokens"):
        if key in report and report[key] is not None:
            value = report[key]
            note = " (lower is better)" if key in LOWER_IS_BETTER else ""
            table.add_row(key + note, f"{value:.4f}" if isinstance(value, float) else str(value))
    return table


def _confusion(report: dict[str, Any]) -> Table | None:
    matrix = report.get("confusion")
    if not matrix:
        return None
    categories = list(matrix)
    table = Table(title="confusion (rows: human, columns: judge)", show_header=True, header_style="bold")
    table.add_column("human \\ judge")
    for category in categories:
        table.add_column(category, justify="right")
    for human in categories:
        table.add_row(human, *(str(matrix[human][judge]) for judge in categories))
    return table


def calibrate(
    grader_file: Path = typer.Argument(
        ..., help="Grader file (.json, .yaml or .yml) or rft:NAME (see `rft graders`).", show_default=False
    ),
    labels: Path = typer.Option(
        ...,
        "--labels",
        "-l",
        help="JSONL of {item, sample, label} rows labelled by humans (e.g. a run's labels.jsonl).",
    ),
    repeats: int = typer.Option(1, "--repeats", "-k", min=1, help="Grade every row K times (cache bypassed)."),
    threshold: list[str] = typer.Option(
        [], "--threshold", "-t", help="METRIC=VALUE that must hold (e.g. kappa=0.6); exit code 1 when one fails."
    ),
    pass_threshold: float | None = typer.Option(
        None, "--pass-threshold", help="Reward counted as a pass (default: the grader's pass_threshold, else 0.5)."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the report as JSON here."),
    placement: PlacementChoice = typer.Option(PlacementChoice.any, "--placement", help="Placement rules to apply."),
) -> None:
    """Compare GRADER_FILE's verdicts with human labels: accuracy, kappa, Spearman, MAE, self-consistency."""
    checks = _parse_thresholds(threshold)
    try:
        file = read_grader_file(grader_file, placement=placement.value)
        grader = build_grader(file.config, source=file.source)
        rows = _read_rows(labels)
        cutoff = pass_threshold if pass_threshold is not None else float(file.config.get("pass_threshold", 0.5))
        report = run_calibration(grader, rows, repeats=repeats, pass_threshold=cutoff)
    except RftKitError as exc:
        fail(exc)
    failures = check_thresholds(report, checks)
    report["thresholds"] = {"checked": checks, "failed": failures}
    console = Console()
    console.print(_table(report, grader.name))
    confusion = _confusion(report)
    if confusion is not None:
        console.print(confusion)
    for worst in report.get("worst_disagreements") or []:
        console.print(f"disagreement: row {worst['row'] + 1}: human {worst['human']!r}, judge {worst['judge']!r}")
    if json_out is not None:
        write_json_file(json_out, report, what="calibration report")
    for failure in failures:
        err_console.print(f"[bold red]threshold failed:[/] {failure}")
    if failures:
        raise typer.Exit(1)
