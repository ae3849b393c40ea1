"""``rft check``: run every grader file's cases and probes; non-zero exit on any failure (for CI)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from ..errors import RftKitError
from ._common import PlacementChoice, fail


def check(
    paths: list[Path] = typer.Argument(
        None, help="Grader files, directories, or rft:NAME library graders (default: graders/)."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the full report as JSON here."),
    junit: Path | None = typer.Option(None, "--junit", help="Write JUnit XML here (for CI test reports)."),
    no_probes: bool = typer.Option(False, "--no-probes", help="Skip the metamorphic and reward-hacking probes."),
    placement: PlacementChoice = typer.Option(PlacementChoice.rft, "--placement", help="Placement rules to apply."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list skipped checks."),
) -> None:
    """Validate grader files: schema, placement, templates, cases, determinism, time budget and probes."""
    from ..check import check_paths
    from ..check.report import print_reports, write_json, write_junit
    from ..library import is_library_ref, resolve_grader

    targets = paths or [Path("graders")]
    try:
        for target in targets:
            if is_library_ref(target):
                resolve_grader(target)
    except RftKitError as exc:
        fail(exc)
    missing = [p for p in targets if not is_library_ref(p) and not p.exists()]
    if missing:
        fail(f"no such file or directory: {missing[0]}")
    reports = check_paths(targets, placement=placement.value, probes=not no_probes)
    if not reports:
        fail(f"no grader files found under {', '.join(map(str, targets))}")
    console = Console()
    print_reports(reports, console, verbose=verbose)
    if json_out is not None:
        write_json(reports, json_out)
    if junit is not None:
        write_junit(reports, junit)
    failed = sum(len(r.failed) for r in reports)
    if failed:
        console.print(f"[bold red]{failed} check(s) failed[/] in {sum(1 for r in reports if r.failed)} grader file(s)")
        raise typer.Exit(1)
    console.print(f"[green]all checks passed[/] ({len(reports)} grader file(s))")
