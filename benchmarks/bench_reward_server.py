"""Reward server throughput and latency on loopback: ``rft serve`` in its own process, a closed-loop load.

Starts ``rft serve GRADER`` as a subprocess (so the load generator does not share its interpreter), waits for
``/health``, then sends N ``POST /score`` requests from C keep-alive connections and prints requests/s, p50/p99
latency and responses by status, for each worker setting. Also prints ``/score_batch`` pairs/s.

Usage: ``python benchmarks/bench_reward_server.py [--grader graders/tool_call.yaml] [--n 2000] [--concurrency 32]
[--workers 0 2]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from rft_kit.reward_server.loadgen import run_load

REPO = Path(__file__).resolve().parents[1]
ITEM = {"function": "get_forecast", "arguments": {"city": "Lisbon", "days": 3}}


def _bodies() -> list[dict]:
    def call(days: int) -> dict:
        args = json.dumps({"city": "Lisbon", "days": days})
        return {
            "output_text": "",
            "output_tools": [{"type": "function", "function": {"name": "get_forecast", "arguments": args}}],
        }

    return [{"item": ITEM, "sample": call(d)} for d in range(1, 9)] + [{"item": ITEM, "sample": "no call"}]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the reward server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grader", default=str(REPO / "graders" / "tool_call.yaml"))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    args = parser.parse_args()
    rft = str(Path(sys.executable).with_name("rft"))
    print(f"grader {Path(args.grader).name}, {args.n} requests, concurrency {args.concurrency}, cpus {os.cpu_count()}")
    for workers in args.workers:
        port = _free_port()
        proc = subprocess.Popen(
            [rft, "serve", args.grader, "--port", str(port), "--workers", str(workers), "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_healthy(port)
            url = f"http://127.0.0.1:{port}"
            run_load(url, _bodies(), total=200, concurrency=args.concurrency)  # warm-up
            single = run_load(url, _bodies(), total=args.n, concurrency=args.concurrency).summary()
            batch_bodies = [
                {"items": [b["item"] for b in _bodies()] * 7, "samples": [b["sample"] for b in _bodies()] * 7}
            ]
            batch = run_load(url, batch_bodies, path="/score_batch", total=200, concurrency=8).summary()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        print(
            f"workers={workers}: /score {single['requests_per_s']:.0f} req/s, p50 {single['p50_ms']:.1f} ms, "
            f"p99 {single['p99_ms']:.1f} ms, statuses {single['statuses']}; "
            f"/score_batch (63 pairs) {batch['requests_per_s'] * 63:.0f} pairs/s, p50 {batch['p50_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
