"""``rft grader validate`` and ``rft grader run``: the local twins of the hosted ``/graders/validate`` and ``/run``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ..errors import RftKitError
from ..graders.loading import build_grader, read_grader_file
from ._common import PlacementChoice, fail, print_json

app = typer.Typer(help="Validate and run one grader file.", no_args_is_help=True)

GraderPath = typer.Argument(
    ..., help="Grader file (.json, .yaml or .yml) or rft:NAME (see `rft graders`).", show_default=False
)
Placement = typer.Option(
    PlacementChoice.rft,
    "--placement",
    help="Where the grader will be used: rft (the job's single grader), evals (a testing criterion) or any.",
)


@app.command("validate")
def validate(grader_file: Path = GraderPath, placement: PlacementChoice = Placement) -> None:
    """Validate GRADER_FILE and print the normalised grader JSON (exit 2 with the problem if it is invalid)."""
    try:
        file = read_grader_file(grader_file, placement=placement.value)
        build_grader(file.config, source=file.source)  # templates and formulas compile only when built
    except RftKitError as exc:
        fail(exc)
    print_json(file.config)


def _json_arg(text: str, option: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{option} is not valid JSON (column {exc.colno}: {exc.msg})")


@app.command("run")
def run(
    grader_file: Path = GraderPath,
    sample: str | None = typer.Option(None, "--sample", help="The model output as plain text (like model_sample)."),
    sample_json: str | None = typer.Option(
        None,
        "--sample-json",
        help="A full sample object as JSON: output_text, output_json, output_tools, choices.",
    ),
    item: str = typer.Option("{}", "--item", help="The item (task row) as a JSON object."),
    placement: PlacementChoice = Placement,
    fail_on_error: bool = typer.Option(False, "--fail-on-error", help="Exit 1 when the sample could not be graded."),
) -> None:
    """Grade one sample and print the response envelope, shaped like the hosted /graders/run response."""
    if (sample is None) == (sample_json is None):
        fail("give exactly one of --sample TEXT or --sample-json JSON_OBJECT")
    item_value = _json_arg(item, "--item")
    if not isinstance(item_value, dict):
        fail("--item must be a JSON object")
    sample_value: Any = sample
    if sample_json is not None:
        sample_value = _json_arg(sample_json, "--sample-json")
        if not isinstance(sample_value, dict):
            fail("--sample-json must be a JSON object; use --sample for plain text")
    try:
        file = read_grader_file(grader_file, placement=placement.value)
        grader = build_grader(file.config, source=file.source)
    except RftKitError as exc:
        fail(exc)
    result = grader.run(sample_value, item_value)
    print_json(result.envelope())
    if fail_on_error and not result.ok:
        raise typer.Exit(1)
