"""The ``rft`` command line. Each sub-command lives in its own module and is registered here."""

from __future__ import annotations

import typer

from .._version import __version__
from . import check_cmd, grade_cmd, grader_cmd, serve_cmd

__all__ = ["app", "main"]

app = typer.Typer(
    name="rft",
    help="rft-kit: generate RFT tasks, grade model outputs with OpenAI-format graders, package fine-tuning jobs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(grader_cmd.app, name="grader")
app.command("grade")(grade_cmd.grade)
app.command("local-server")(serve_cmd.serve)
app.command("check")(check_cmd.check)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rft-kit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """rft-kit command line."""


def main() -> None:
    app()
