"""Reward and tool server throughput and latency on loopback, each server in its own process, closed-loop load.

1. ``/score`` at concurrency C: the standard-library server ``rft serve`` ran on before the ASGI stack
   (``benchmarks/stdlib_reward_server.py``, the baseline) against ``rft serve`` today, for each worker setting;
   the ratio of the medians of requests/s, p50/p99 latency and the server process's CPU time per request over
   alternated rounds (CPU per request is the figure a busy shared machine disturbs least). Also ``/score_batch``.
2. ``rft serve-tools`` under sustained load: C threads act as hosted trainers, each replaying support_desk oracle
   plans call by call on fresh traces (``POST /tools/{name}``, then ``POST /grade`` with the template's grader);
   requests/s, p50/p99 per route, non-2xx count, and the margin over the 50 QPS per endpoint Azure asks for.

Usage: ``python benchmarks/bench_reward_server.py [--n 4000] [--concurrency 64] [--workers 0 2] [--rounds 3]
[--seconds 20]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rft_kit.reward_server.loadgen import run_load
from rft_kit.serving.metrics import percentile
from rft_kit.tasks import generate

REPO = Path(__file__).resolve().parents[1]
ITEM = {"function": "get_forecast", "arguments": {"city": "Lisbon", "days": 3}}
AZURE_QPS = 50


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


def _wait_healthy(port: int, proc: subprocess.Popen, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not come up")


def _start(command: list[str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_healthy(port, proc)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``; its own threads, not its workers)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _score_run(command: list[str], port: int, n: int, concurrency: int) -> tuple[dict, dict]:
    proc = _start(command, port)
    try:
        url = f"http://127.0.0.1:{port}"
        run_load(url, _bodies(), total=300, concurrency=concurrency)  # warm-up
        cpu_before = _cpu_s(proc.pid)
        single = run_load(url, _bodies(), total=n, concurrency=concurrency).summary()
        # the HTTP layer's own cost, which a neighbour's load on the shared cores does not change much
        single["server_cpu_us"] = (_cpu_s(proc.pid) - cpu_before) / max(1, single["requests"]) * 1e6
        batch_bodies = [{"items": [b["item"] for b in _bodies()] * 7, "samples": [b["sample"] for b in _bodies()] * 7}]
        batch = run_load(url, batch_bodies, path="/score_batch", total=200, concurrency=8).summary()
    finally:
        _stop(proc)
    return single, batch


def _median(summaries: list[dict]) -> dict:
    """Per key, the median over the runs (of requests/s, p50, p99)."""
    keys = tuple(k for k in ("requests_per_s", "p50_ms", "p99_ms", "server_cpu_us") if k in summaries[0])
    return {k: statistics.median(s[k] for s in summaries) for k in keys}


def _tool_load(url: str, rows: list[dict], concurrency: int, seconds: float) -> dict[str, Any]:
    """C trainer threads, each replaying oracle plans on fresh traces until ``seconds`` pass."""
    host, port = url.removeprefix("http://").split(":")
    stop_at = time.perf_counter() + seconds
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {"/tools/{name}": [], "/grade": []}
    statuses: Counter[int] = Counter()
    errors = [0]

    def trainer(worker: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        local: dict[str, list[float]] = {"/tools/{name}": [], "/grade": []}
        local_status: Counter[int] = Counter()
        episode = 0
        while time.perf_counter() < stop_at:
            row = rows[(worker + episode) % len(rows)]
            trace = f"bench-{worker}-{episode}"
            episode += 1
            steps = [s for s in row["oracle_plan"] if "final_answer" not in s]
            answer = next(s["final_answer"] for s in row["oracle_plan"] if "final_answer" in s)
            requests = [
                (
                    f"/tools/{s['name']}",
                    "/tools/{name}",
                    {
                        "type": "function_call",
                        "id": f"fc_{k}",
                        "call_id": f"call_{k}",
                        "name": s["name"],
                        "arguments": json.dumps(s["arguments"]),
                        "trace_id": trace,
                        "item": row,
                    },
                )
                for k, s in enumerate(steps)
            ]
            requests.append(("/grade", "/grade", {"sample": {"output_text": answer}, "item": row, "trace_id": trace}))
            for path, route, body in requests:
                data = json.dumps(body).encode()
                started = time.perf_counter()
                try:
                    conn.request("POST", path, data, {"Content-Type": "application/json"})
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    with lock:
                        errors[0] += 1
                    conn.close()
                    conn = http.client.HTTPConnection(host, int(port), timeout=60)
                    break
                local[route].append((time.perf_counter() - started) * 1000)
                local_status[response.status] += 1
        conn.close()
        with lock:
            for route, values in local.items():
                latencies[route].extend(values)
            statuses.update(local_status)

    threads = [threading.Thread(target=trainer, args=(w,)) for w in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - began
    out: dict[str, Any] = {"duration_s": round(duration, 2), "statuses": dict(statuses), "transport_errors": errors[0]}
    for route, values in latencies.items():
        ordered = sorted(values)
        out[route] = {
            "requests": len(ordered),
            "requests_per_s": round(len(ordered) / duration, 1),
            "p50_ms": percentile(ordered, 0.5),
            "p99_ms": percentile(ordered, 0.99),
        }
    out["non_2xx"] = sum(n for s, n in statuses.items() if not 200 <= s < 300)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grader", default=str(REPO / "graders" / "tool_call.yaml"))
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--rounds", type=int, default=3, help="alternated baseline/candidate runs per setting")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of the tool-server load")
    args = parser.parse_args()
    rft = str(Path(sys.executable).with_name("rft"))
    baseline = str(REPO / "benchmarks" / "stdlib_reward_server.py")
    print(
        f"grader {Path(args.grader).name}, {args.n} /score requests, concurrency {args.concurrency}, "
        f"cpus {os.cpu_count()} (the load generator shares them)"
    )
    for workers in args.workers:
        runs: dict[str, list[tuple[dict, dict]]] = {"stdlib (baseline)": [], "rft serve (ASGI)": []}
        for _ in range(args.rounds):  # alternated, so that a neighbour's load on the shared cores hits both
            port = _free_port()
            command = [sys.executable, baseline, args.grader, str(port), str(workers)]
            runs["stdlib (baseline)"].append(_score_run(command, port, args.n, args.concurrency))
            port = _free_port()
            command = [rft, "serve", args.grader, "--port", str(port), "--workers", str(workers), "--quiet"]
            runs["rft serve (ASGI)"].append(_score_run(command, port, args.n, args.concurrency))
        medians = {}
        for label, results in runs.items():
            single = _median([r[0] for r in results])
            batch = _median([r[1] for r in results])
            medians[label] = (single, batch)
            statuses = Counter[str]()
            for r in results:
                statuses.update(r[0]["statuses"])
            print(
                f"workers={workers} {label}, median of {args.rounds}: /score {single['requests_per_s']:.0f} req/s,"
                f" p50 {single['p50_ms']:.1f} ms, p99 {single['p99_ms']:.1f} ms,"
                f" server CPU {single['server_cpu_us']:.0f} us/request, statuses {dict(statuses)},"
                f" transport errors {sum(r[0]['transport_errors'] for r in results)};"
                f" /score_batch (63 pairs) {batch['requests_per_s'] * 63:.0f} pairs/s"
            )
        (base, base_batch), (cand, cand_batch) = medians.values()
        print(
            f"workers={workers} ASGI / stdlib: /score req/s x{cand['requests_per_s'] / base['requests_per_s']:.2f}, "
            f"p50 x{cand['p50_ms'] / base['p50_ms']:.2f}, p99 x{cand['p99_ms'] / base['p99_ms']:.2f}, "
            f"server CPU per request x{cand['server_cpu_us'] / base['server_cpu_us']:.2f}; "
            f"/score_batch pairs/s x{cand_batch['requests_per_s'] / base_batch['requests_per_s']:.2f}"
        )
    rows = [r for level in ("easy", "medium") for r in generate("support_desk", 16, seed=5, difficulty=level)]
    workers = max(args.workers)
    port = _free_port()
    grader = str(REPO / "graders" / "tasks" / "support_desk.yaml")
    proc = _start([rft, "serve-tools", "--grader", grader, "--port", str(port), "--workers", str(workers), "--quiet"],
                  port)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _tool_load(url, rows, 8, 2.0)  # warm-up
        result = _tool_load(url, rows, args.concurrency, args.seconds)
    finally:
        _stop(proc)
    tools, graded = result["/tools/{name}"], result["/grade"]
    print(
        f"rft serve-tools (support_desk easy+medium, grading workers={workers}), {args.concurrency} trainers for "
        f"{result['duration_s']} s: non-2xx {result['non_2xx']}, transport errors {result['transport_errors']}, "
        f"statuses {result['statuses']}"
    )
    print(
        f"  /tools/{{name}}: {tools['requests_per_s']:.0f} req/s (x{tools['requests_per_s'] / AZURE_QPS:.0f} Azure's "
        f"{AZURE_QPS} QPS), p50 {tools['p50_ms']:.1f} ms, p99 {tools['p99_ms']:.1f} ms"
    )
    print(
        f"  /grade: {graded['requests_per_s']:.0f} req/s (x{graded['requests_per_s'] / AZURE_QPS:.1f} Azure's "
        f"{AZURE_QPS} QPS, at the trainers' mix of one grade per episode), p50 {graded['p50_ms']:.1f} ms, "
        f"p99 {graded['p99_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
