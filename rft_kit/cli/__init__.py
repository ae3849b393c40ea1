"""The ``rft`` command line. Each sub-command lives in its own module and is registered here."""

from __future__ import annotations

import io
import os
import signal
import sys

import typer

from .._version import __version__
from . import (
    calibrate_cmd,
    check_cmd,
    demo_cmd,
    export_cmd,
    generate_cmd,
    grade_cmd,
    grader_cmd,
    init_cmd,
    job_cmd,
    library_cmd,
    local_server_cmd,
    report_cmd,
    rollout_cmd,
    rubric_cmd,
    run_cmd,
    sample_cmd,
    sandbox_cmd,
    serve_cmd,
    serve_tools_cmd,
    view_cmd,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="rft",
    help="rft-kit: generate RFT tasks, grade model outputs with OpenAI-format graders, package fine-tuning jobs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(grader_cmd.app, name="grader")
app.add_typer(sandbox_cmd.app, name="sandbox")
app.command("grade")(grade_cmd.grade)
app.command("local-server")(local_server_cmd.serve)
app.command("check")(check_cmd.check)
app.command("generate")(generate_cmd.generate)
app.command("templates")(generate_cmd.templates)
app.command("graders")(library_cmd.graders)
app.command("stats")(generate_cmd.stats)
app.command("select")(generate_cmd.select)
app.command("sample")(sample_cmd.sample)
app.command("rollout")(rollout_cmd.rollout)
app.command("run")(run_cmd.run)
app.command("report")(report_cmd.report)
app.command("demo")(demo_cmd.demo)
app.command("init")(init_cmd.init)
app.add_typer(export_cmd.app, name="export")
app.add_typer(job_cmd.app, name="job")
app.add_typer(rubric_cmd.app, name="rubric")
app.command("serve")(serve_cmd.serve)
app.command("serve-tools")(serve_tools_cmd.serve_tools)
app.command("calibrate")(calibrate_cmd.calibrate)
app.command("view")(view_cmd.view)


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
    # Whatever a model wrote may reach the terminal (an error message quoting a sample, `rft grader run`'s
    # envelope); an unpaired surrogate must print as its escape, not end the command with UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        app()
    except BrokenPipeError:
        # The reader went away (`rft ... -o /dev/stdout | head`): stop quietly, like other Unix tools. Point
        # stdout at /dev/null so the interpreter's own flush at exit does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(128 + signal.SIGPIPE)
