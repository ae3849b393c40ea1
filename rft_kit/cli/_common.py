"""Helpers shared by CLI commands: error reporting and JSON output."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from ..distributed import Executor, check_executor
from ..errors import RftKitError
from ..io.escape import json_text
from ..io.output import is_regular_file

__all__ = [
    "PlacementChoice",
    "count_lines",
    "err_console",
    "executor_choice",
    "executor_option",
    "fail",
    "print_json",
    "progress_bar",
    "ray_address_option",
    "write_json_file",
]

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


def count_lines(path: Path) -> int | None:
    """The non-blank lines of ``path`` (a progress bar's total), or ``None`` when it cannot be counted."""
    if not is_regular_file(path):
        return None  # a pipe or device: reading it to count would consume it (or never end: /dev/zero)
    try:
        with open(path, "rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return None


def executor_option(ray_help: str) -> Any:
    """The ``--executor`` option of a command that can run on Ray; ``ray_help`` says what runs where."""
    return typer.Option("local", "--executor", help=f"local (this machine) or ray ({ray_help}).")


def ray_address_option() -> Any:
    """The ``--ray-address`` option that goes with :func:`executor_option`."""
    return typer.Option(
        None,
        "--ray-address",
        envvar="RAY_ADDRESS",
        help="--executor ray: the cluster (auto, host:port, ray://host:10001); none starts a local Ray instance.",
    )


def executor_choice(executor: str) -> Executor:
    """The ``--executor`` given, checked: anything but ``local`` or ``ray`` fails clearly."""
    try:
        return check_executor(executor)
    except ValueError:
        fail(f"--executor must be local or ray, got {executor!r}")


@contextmanager
def progress_bar(label: str, total: int | None, console: Console) -> Iterator[Callable[[int], None]]:
    """A bar of ``total`` steps (``None``: unknown) on ``console``; yields the ``on_progress`` callback advancing it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn(f"[bold]{label}[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )
    with progress:
        bar = progress.add_task(label, total=total)
        yield lambda done: progress.advance(bar, done)
