"""`rft serve` as users run it: a subprocess that serves, and a clear error for a bad grader file."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

GRADERS = Path(__file__).resolve().parents[2] / "graders"
RFT = str(Path(sys.executable).with_name("rft"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(port: int, body: dict, token: str | None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    conn.request("POST", "/score", json.dumps(body), headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def test_rft_serve_subprocess(tmp_path):
    port = _free_port()
    proc = subprocess.Popen(
        [
            RFT,
            "serve",
            str(GRADERS / "exact_answer.yaml"),
            "--port",
            str(port),
            "--workers",
            "1",
            "--token",
            "tk",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _post(port, {"item": {"answer": "42"}, "sample": "42"}, "tk")
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert (status, body["score"]) == (200, 1.0)
        assert _post(port, {"item": {"answer": "42"}, "sample": "42"}, None)[0] == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert f"127.0.0.1:{port}" in err and "bearer token" in err


def test_rft_serve_bad_grader_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("type: string_check\nname: x\ninput: '{{sample.output_text}}'\noperation: equals\n")
    done = subprocess.run(
        [RFT, "serve", str(bad), "--port", str(_free_port())], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "error:" in done.stderr and "bad.yaml" in done.stderr
