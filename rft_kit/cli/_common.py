"""Helpers shared by CLI commands: error reporting and JSON output."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from ..errors import RftKitError
from ..io.escape import json_text

__all__ = ["PlacementChoice", "err_console", "fail", "print_json", "write_json_file"]

err_console = Console(stderr=True, highlight=False)


class PlacementChoice(StrEnum):
    """Where the grader will be used, which decides the allowed top-level types."""

    rft = "rft"
    evals = "evals"
    any = "any"


def fail(error: RftKitError | str, code: int = 2) -> NoReturn:
    """Print a user-facing error (no traceback) and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {error}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    sys.stdout.write(json_text(value, indent=2) + "\n")


def write_json_file(path: Path, value: Any, *, what: str) -> None:
    """Write ``value`` as indented JSON to ``path`` (its folder created); an unwritable path fails clearly."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json_text(value, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write the {what} to {path}: {exc.strerror or exc}")
