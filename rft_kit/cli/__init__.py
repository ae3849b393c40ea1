"""The ``rft`` command line. Each sub-command lives in its own module and is registered here."""

from __future__ import annotations

import importlib
import io
import os
import signal
import sys
from typing import Any

import typer

from .._version import __version__

__all__ = ["app", "build_app", "main"]

# (name, module, attribute): a sub-command group (a Typer app) or a command (a function), in help order. Modules
# are imported only for the command being run: `rft grade` does not pay for the OpenAI client, numpy and pandas that
# other commands import (seconds on a busy machine; `rft --help` and tests still get the full app).
_GROUPS = (
    ("grader", "grader_cmd", "app"),
    ("sandbox", "sandbox_cmd", "app"),
)
_COMMANDS = (
    ("grade", "grade_cmd", "grade"),
    ("local-server", "local_server_cmd", "serve"),
    ("check", "check_cmd", "check"),
    ("generate", "generate_cmd", "generate"),
    ("templates", "generate_cmd", "templates"),
    ("graders", "library_cmd", "graders"),
    ("stats", "generate_cmd", "stats"),
    ("select", "generate_cmd", "select"),
    ("sample", "sample_cmd", "sample"),
    ("rollout", "rollout_cmd", "rollout"),
    ("run", "run_cmd", "run"),
    ("report", "report_cmd", "report"),
    ("demo", "demo_cmd", "demo"),
    ("init", "init_cmd", "init"),
)
_LATE_GROUPS = (
    ("export", "export_cmd", "app"),
    ("job", "job_cmd", "app"),
    ("rubric", "rubric_cmd", "app"),
)
_LATE_COMMANDS = (
    ("serve", "serve_cmd", "serve"),
    ("serve-tools", "serve_tools_cmd", "serve_tools"),
    ("calibrate", "calibrate_cmd", "calibrate"),
    ("view", "view_cmd", "view"),
)
_NAMES = {entry[0] for table in (_GROUPS, _COMMANDS, _LATE_GROUPS, _LATE_COMMANDS) for entry in table}


def _load(module: str, attribute: str) -> Any:
    return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)


def build_app(only: str | None = None) -> typer.Typer:
    """The ``rft`` app: every sub-command, or only ``only`` (what ``main`` runs, so that one command imports what it
    needs and nothing else)."""
    cli = typer.Typer(
        name="rft",
        help="rft-kit: generate RFT tasks, grade model outputs with OpenAI-format graders, package fine-tuning jobs.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    cli.callback()(_root)
    for groups, commands in ((_GROUPS, _COMMANDS), (_LATE_GROUPS, _LATE_COMMANDS)):
        for name, module, attribute in groups:
            if only in (None, name):
                cli.add_typer(_load(module, attribute), name=name)
        for name, module, attribute in commands:
            if only in (None, name):
                cli.command(name)(_load(module, attribute))
    return cli


def __getattr__(name: str) -> Any:
    # `from rft_kit.cli import app` (tests, embedding) gets the full app, built on first use
    if name == "app":
        full = build_app()
        globals()["app"] = full
        return full
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command_name(argv: list[str]) -> str | None:
    """The sub-command ``argv`` runs, if it names one before any option (``rft grade ...``)."""
    return argv[0] if argv and argv[0] in _NAMES else None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rft-kit {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """rft-kit command line."""


def main() -> None:
    # Whatever a model wrote may reach the terminal (an error message quoting a sample, `rft grader run`'s
    # envelope); an unpaired surrogate must print as its escape, not end the command with UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        build_app(_command_name(sys.argv[1:]))()
    except BrokenPipeError:
        # The reader went away (`rft ... -o /dev/stdout | head`): stop quietly, like other Unix tools. Point
        # stdout at /dev/null so the interpreter's own flush at exit does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(128 + signal.SIGPIPE)
