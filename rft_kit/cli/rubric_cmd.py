"""``rft rubric generate``: per-item rubrics from reference answers or source documents (:mod:`rft_kit.rubric_gen`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from ..errors import RftKitError
from ..rubric_gen.run import generate_rubrics
from ._common import err_console, fail, print_json

app = typer.Typer(help="Write per-item rubrics for rubric_judge.", no_args_is_help=True)


class From(StrEnum):
    reference = "reference"
    document = "document"


@app.command("generate")
def generate(
    tasks: Path = typer.Argument(..., help="Tasks JSONL (rows with reference_answer or document)."),
    model: str = typer.Option(..., "--model", help="The rubric-writer model (sim-judge: the SIMULATED writer)."),
    source: From = typer.Option(From.reference, "--from", help="Ground the rubric in the reference or the document."),
    output: Path = typer.Option(..., "-o", "--output", help="Output JSONL (rows with `rubric`); rewritten."),
    judge_model: str | None = typer.Option(None, "--judge-model", help="Self-check judge (default: --model)."),
    base_url: str = typer.Option("local", "--base-url", help="OpenAI-compatible endpoint; `local`: SIMULATED."),
    field: str | None = typer.Option(None, "--field", help="Row field holding the material (default by --from)."),
    min_reference: float = typer.Option(0.8, help="The reference answer must score at least this."),
    max_degraded: float = typer.Option(0.4, help="The degraded answer must score at most this."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Write a filtered, self-checked rubric per row; dropped rows and reasons go to OUT.report.json."""
    try:
        report = generate_rubrics(
            tasks,
            output,
            model=model,
            source="reference" if source is From.reference else "document",
            judge_model=judge_model,
            base_url=base_url,
            field_name=field,
            min_reference=min_reference,
            max_degraded=max_degraded,
        )
    except RftKitError as exc:
        fail(exc)
    if json_out:
        print_json(report.to_dict())
        return
    err_console.print(
        f"{report.written} of {report.rows} rows got a rubric -> {output}; {len(report.dropped)} dropped, "
        f"{report.removed_criteria} criteria filtered out (report: {output}.report.json)"
    )
    for drop in report.dropped[:10]:
        err_console.print(f"  row {drop['row']} ({drop['id']}): {drop['reason']}")
