"""``rft init DIR``: write a starter project (task template, data, grader with cases, pipeline, CI, README)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import RftKitError
from ._common import err_console, fail


def init(
    directory: Path = typer.Argument(..., help="The new project's folder (created if missing).", show_default=False),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty folder, replacing the starter's files."),
) -> None:
    """Create a starter RFT project in DIRECTORY: a YAML task template with a CSV, a grader with golden cases,
    pipeline.yaml on a SIMULATED model, a GitHub Actions workflow running `rft check`, and a README."""
    from ..starter import create_project

    try:
        created = create_project(directory, force=force)
    except RftKitError as exc:
        fail(exc)
    for path in created.files:
        err_console.print(f"  wrote {directory / path}")
    err_console.print(
        f"Next: cd {directory} && rft check graders/ && rft run pipeline.yaml (offline; see {directory}/README.md)"
    )
