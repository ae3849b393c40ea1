"""``rft graders``: list the grader library (the graders an ``rft:NAME`` argument can name)."""

from __future__ import annotations

import typer

from ..errors import RftKitError
from ._common import fail, print_json


def graders(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the library graders, one line each: rft: name, type, description. Use a name wherever a grader file goes
    (rft check rft:exact_answer, rft grade rft:tasks/arithmetic_word ...)."""
    from ..library import describe_library

    try:
        library = describe_library()
    except RftKitError as exc:
        fail(exc)
    if as_json:
        print_json(
            [{"name": g.name, "type": g.type, "description": g.description, "path": str(g.path)} for g in library]
        )
        return
    width = max(len(g.name) for g in library)
    type_width = max(len(g.type) for g in library)
    for g in library:
        typer.echo(f"{g.name:<{width}}  {g.type:<{type_width}}  {g.description}")
