"""The options ``rft serve`` and ``rft serve-tools`` share (both run on :mod:`rft_kit.serving`)."""

from __future__ import annotations

import os

import typer

__all__ = ["MAX_BODY_MB", "QUIET", "READ_TIMEOUT", "TOKEN", "WORKERS"]

TOKEN = typer.Option(
    None, "--token", envvar="RFT_SERVE_TOKEN", help="Require 'Authorization: Bearer TOKEN' (env RFT_SERVE_TOKEN)."
)
WORKERS = typer.Option(
    min(4, os.cpu_count() or 1), "--workers", min=0, help="Grading processes (0: grade in the server process)."
)
MAX_BODY_MB = typer.Option(8.0, "--max-body-mb", min=0.001, help="Refuse larger request bodies (413).")
READ_TIMEOUT = typer.Option(10.0, "--read-timeout", min=0.1, help="Drop clients silent this long.")
QUIET = typer.Option(False, "--quiet", help="Do not log each request.")
