"""`rft serve-tools` as users run it: a real process serving the built-in environments, a graceful SIGTERM under
load that loses no in-flight request, and a clear error for a bad grader file."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rft_kit.tasks import generate

from .trainer import Trainer

REPO = Path(__file__).resolve().parents[2]
RFT = str(Path(sys.executable).with_name("rft"))
TOKEN = "tk"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if Trainer(f"http://127.0.0.1:{port}", timeout_s=2).get("/health")[0] == 200:
                return
        except OSError:
            pass
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "serve-tools did not start"
        time.sleep(0.1)


@pytest.fixture
def served() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = _free_port()
    grader = REPO / "graders" / "tasks" / "support_desk.yaml"
    proc = subprocess.Popen(
        [RFT, "serve-tools", "--grader", str(grader), "--port", str(port), "--workers", "1", "--token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_healthy(port, proc)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _row() -> dict[str, Any]:
    return next(iter(generate("support_desk", 1, seed=3, difficulty="medium")))


def _plan(row: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    calls = [s for s in row["oracle_plan"] if "final_answer" not in s]
    return calls, next(s["final_answer"] for s in row["oracle_plan"] if "final_answer" in s)


def _call_body(row: dict[str, Any], trace: str, n: int, step: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"fc_{n}",
        "call_id": f"call_{n}",
        "name": step["name"],
        "arguments": json.dumps(step["arguments"]),
        "trace_id": trace,
        "item": row,
    }


def test_serve_tools_runs_an_episode_and_grades_it(served: tuple[int, subprocess.Popen[str]]) -> None:
    port, proc = served
    row = _row()
    calls, answer = _plan(row)
    trainer = Trainer(f"http://127.0.0.1:{port}", TOKEN)
    for n, step in enumerate(calls):
        status, body = trainer.post(f"/tools/{step['name']}", _call_body(row, "cli", n, step))
        assert status == 200 and not body["output"].startswith("error"), body
    status, body = trainer.grade("cli", row, {"output_text": answer})
    assert (status, body["score"]) == (200, 1.0)
    assert Trainer(f"http://127.0.0.1:{port}").post("/grade", {})[0] == 401
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert f"127.0.0.1:{port}" in err and "bearer token" in err and "support_desk" in err


def test_a_stderr_nobody_reads_does_not_stall_the_server(served: tuple[int, subprocess.Popen[str]]) -> None:
    # the fixture's stderr is a pipe read only when the server has stopped: with a line per request written from
    # the event loop, the pipe's 64 KB filled after ~1,500 requests and the whole server stopped (this is what
    # made the SIGTERM test below hang on busy runs); 4,000 requests log ~150 KB
    port, proc = served
    answered = [0] * 4

    def hit(worker: int) -> None:
        trainer = Trainer(f"http://127.0.0.1:{port}", TOKEN, timeout_s=20)
        for _ in range(1000):
            status, _ = trainer.get("/health")
            answered[worker] += status == 200

    threads = [threading.Thread(target=hit, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert answered == [1000] * 4
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert (
        err.count("GET /health 200")
        + sum(int(line.split("(", 1)[1].split()[0]) for line in err.splitlines() if "request log lines dropped" in line)
        >= 4000
    )


def _read_response(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 response: the head, then exactly Content-Length bytes of body (or up to the close).

    Reading to the close instead would also wait for the server to drop an idle keep-alive connection, which is
    not what this test is about (and on a loaded machine can take longer than the socket timeout)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        None,
    )
    while length is None or len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _sigterm_scenario(port: int, server_pid: int) -> None:
    """The trainer's side of the SIGTERM test, run in a fresh interpreter (see the test below)."""
    row = _row()
    calls, _ = _plan(row)
    url = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    sigterm_at: list[float] = []
    results: list[tuple[float, int | str]] = []
    lock = threading.Lock()

    def load(worker: int) -> None:
        trainer = Trainer(url, TOKEN, timeout_s=30)
        episode = 0
        while not stop.is_set():
            trace = f"load-{worker}-{episode}"
            episode += 1
            for n, step in enumerate(calls):
                sent = math.inf
                try:
                    data = json.dumps(_call_body(row, trace, n, step)).encode()
                    trainer.conn.request("POST", f"/tools/{step['name']}", data, trainer.headers)
                    sent = time.monotonic()  # the whole request is in the kernel's hands
                    response = trainer.conn.getresponse()
                    response.read()
                    outcome: int | str = response.status
                except OSError as exc:  # refused or closed: only after SIGTERM, checked below
                    outcome = type(exc).__name__
                with lock:
                    results.append((sent, outcome))
                if not isinstance(outcome, int):
                    return

    # requests in flight at the signal: headers and half of the body sent, the rest sent after it
    bodies = [json.dumps(_call_body(row, f"inflight-{i}", 0, calls[0])).encode() for i in range(8)]
    inflight = []
    for body in bodies:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(
            f"POST /tools/{calls[0]['name']} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body[: len(body) // 2]
        )
        inflight.append((sock, body[len(body) // 2 :]))
    threads = [threading.Thread(target=load, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    sigterm_at.append(time.monotonic())
    os.kill(server_pid, signal.SIGTERM)
    time.sleep(0.5)
    replies = []
    for sock, rest in inflight:
        sock.sendall(rest)
        replies.append(_read_response(sock))
        sock.close()
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    for reply in replies:  # every in-flight request was answered in full
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["type"] == "function_call_output"
    before = [outcome for sent, outcome in results if sent < sigterm_at[0]]
    assert len(before) > 50, len(before)  # it was under load
    assert all(o == 200 for o in before), sorted({str(o) for o in before})
    assert all(o == 200 or not isinstance(o, int) for _, o in results), "a request got an error status"


def test_sigterm_under_load_loses_no_in_flight_request(served: tuple[int, subprocess.Popen[str]]) -> None:
    port, proc = served
    # The trainer's side runs in a fresh interpreter, so the client process's state cannot be the cause.
    context = multiprocessing.get_context("spawn")
    client = context.Process(target=_sigterm_scenario, args=(port, proc.pid))
    client.start()
    client.join(timeout=240)
    if client.is_alive():
        client.kill()
    _, err = proc.communicate(timeout=90)
    assert client.exitcode == 0, f"the trainer side failed (exit {client.exitcode}); server log tail:\n{err[-3000:]}"
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err


def test_serve_tools_bad_grader_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("type: string_check\nname: x\ninput: '{{sample.output_text}}'\noperation: equals\n")
    done = subprocess.run(
        [RFT, "serve-tools", "--grader", str(bad), "--port", str(_free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "error:" in done.stderr and "bad.yaml" in done.stderr
