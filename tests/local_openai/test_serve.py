"""``serve()``, the foreground entry point behind ``rft serve``, in a child process."""

from __future__ import annotations

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
