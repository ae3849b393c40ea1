"""``rft view [RUNS_DIR]``: browse, label and compare run folders in a local web app."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import typer

from ._common import err_console, fail


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def view(
    runs_dir: Path = typer.Argument(Path("runs"), help="A directory of run folders (or one run folder)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind; any non-loopback address needs --token."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="TCP port."),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="RFT_VIEW_TOKEN",
        help="Require this token (open the printed URL once; env RFT_VIEW_TOKEN).",
    ),
) -> None:
    """Open a web app over RUNS_DIR: runs and lineage, a filterable sample table, sample pages with the baseline's
    sample beside them, and human labels saved to each run's labels.jsonl."""
    if not runs_dir.is_dir():
        fail(f"{runs_dir}: not a directory; pass the folder that holds your run folders (default: runs)")
    if not _loopback(host) and not token:
        fail(f"--host {host} is reachable from other machines: pass --token TOKEN (or RFT_VIEW_TOKEN) to serve it")
    if token is not None and len(token) < 8:
        fail("--token must be at least 8 characters")
    try:
        import uvicorn

        from ..viewer.app import create_app
        from ..viewer.cache import default_cache_dir
    except ImportError as exc:
        fail(f"rft view needs the viewer extra: pip install 'rft-kit[viewer]' ({exc})")
    shown = f"[{host}]" if ":" in host else host
    suffix = f"/?token={token}" if token else "/"
    err_console.print(f"rft view: http://{shown}:{port}{suffix} (runs in {runs_dir.resolve()}; Ctrl-C stops it)")
    app = create_app(runs_dir, token=token, cache_dir=default_cache_dir())
    uvicorn.run(app, host=host, port=port, log_level="warning")
