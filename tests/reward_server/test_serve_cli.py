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


def test_rft_serve_finishes_in_flight_requests_on_sigterm():
    import signal

    port = _free_port()
    proc = subprocess.Popen(
        [RFT, "serve", str(GRADERS / "exact_answer.yaml"), "--port", str(port), "--workers", "1", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _post(port, {"item": {"answer": "1"}, "sample": "1"}, None)[0] == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        body = json.dumps({"item": {"answer": "42"}, "sample": "42"}).encode()
        sockets = []
        for _ in range(8):  # headers and half the body sent before the signal, the rest after it
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            sock.sendall(
                f"POST /score HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body[: len(body) // 2]
            )
            sockets.append(sock)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        for sock in sockets:
            sock.sendall(body[len(body) // 2 :])
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
            sock.close()
            assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
            assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["score"] == 1.0
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
