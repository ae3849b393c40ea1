"""``serve()``, the foreground entry point behind ``rft serve``, in a child process."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import time

import openai


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_announces_models_answers_and_stops_on_ctrl_c() -> None:
    port = _free_port()
    code = (
        "from rft_kit.local_openai import serve; "
        f"serve('127.0.0.1', {port}, default_embedding_model='hashing-embed-256')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="local", max_retries=0)
        deadline = time.monotonic() + 20
        while True:
            try:
                response = client.embeddings.create(model="text-embedding-3-large", input="hello")
                break
            except openai.APIConnectionError:
                assert time.monotonic() < deadline, "serve() did not start listening"
                time.sleep(0.05)
        assert response.model == "hashing-embed-256"
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert f"http://127.0.0.1:{port}/v1" in stderr
    assert "SIMULATED" in stderr
    assert "NOT OpenAI's model" in stderr


def test_a_stderr_nobody_reads_does_not_stall_the_server() -> None:
    # serve() logs a line per request; its stderr here is a pipe read only once it has stopped. Written from the
    # handler threads, the lines filled the pipe's 64 KB and every handler blocked in write: 3,000 requests log
    # ~150 KB.
    port = _free_port()
    code = f"from rft_kit.local_openai import serve; serve('127.0.0.1', {port})"
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                conn.request("GET", "/v1/models")
                conn.getresponse().read()
                break
            except OSError:
                assert time.monotonic() < deadline, "serve() did not start listening"
                time.sleep(0.05)
        statuses = []
        for _ in range(3000):
            conn.request("GET", "/v1/models")
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        assert statuses == [200] * 3000
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert stderr.count('"GET /v1/models HTTP/1.1" 200') > 2000
