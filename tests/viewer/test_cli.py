"""``rft view`` as a command: its refusals, a real uvicorn on 127.0.0.1 in its own process, and an import of rft_kit
that stays free of the web stack."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from rft_kit.cli import app

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_non_loopback_host_needs_a_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["view", str(tmp_path), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--token" in result.output
    short = CliRunner().invoke(app, ["view", str(tmp_path), "--host", "0.0.0.0", "--token", "abc"])
    assert short.exit_code == 2
    assert "at least 8" in short.output
    missing = CliRunner().invoke(app, ["view", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "not a directory" in missing.output


def test_rft_view_serves_the_runs_on_loopback(runs_dir: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RFT_VIEW_CACHE": "off"}
    process = subprocess.Popen(
        [sys.executable, "-m", "rft_kit", "view", str(runs_dir), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=5) as response:
                    data = json.loads(response.read())
                    csp = response.headers["content-security-policy"]
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "rft view did not answer"
                time.sleep(0.2)
        assert {r["name"] for r in data["runs"]} >= {"demo-base", "demo-strong"}
        assert "script-src 'self'" in csp
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_import_rft_kit_stays_free_of_the_web_stack() -> None:
    code = (
        "import sys, rft_kit, rft_kit.cli, rft_kit.cli.calibrate_cmd, rft_kit.viewer.labels; "
        "print([m for m in ('starlette', 'uvicorn', 'msgspec') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert result.stdout.strip() == "[]"
