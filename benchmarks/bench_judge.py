"""Judge-engine throughput and overhead against the local server's SIMULATED judge.

Two servers run in their own processes (so their work does not share this process's GIL, as a remote endpoint
would not): one with 50 ms injected latency per request, one with none.

* throughput: ``score_model.grade_batch`` over N distinct pairs (engine, concurrency 64, a fresh cache directory so
  every pair is a real call) vs a sequential loop over the plain ``openai`` SDK making the same requests. The
  sequential loop runs ``--seq-n`` calls (default 100: 2,000 would take ~2 minutes at 50 ms each) and its rate is
  reported as measured.
* overhead: against the zero-latency server, with the cache off, the same request made sequentially through
  ``JudgeEngine.complete`` and through the bare ``AsyncOpenAI`` client (its generic ``post`` with the same JSON
  body, which is what the engine sends through) on the same event loop; the difference per call is the engine's own
  overhead (semaphore, request hashing, ledger, reply extraction). The typed ``chat.completions.create`` and the
  whole grader path (prompt rendering, the sync hop, verdict parsing, GradeResult) are reported beside it.

* ranking: ``ranking_judge`` (one call per group of 8 samples of an item) against ``score_model`` (one call per
  sample) over the same groups, against the zero-latency server: judge calls and tokens per item, and their ratio.
  The SIMULATED judge counts tokens like a real one (words and punctuation of every message), so the token ratio
  reflects the prompt shapes; a real judge's completion lengths differ.

Usage: ``python benchmarks/bench_judge.py [--n 2000] [--seq-n 100] [--concurrency 64] [--part all|ranking|engine]``
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

import openai

from rft_kit import load_grader
from rft_kit.judge.engine import EngineSettings
from rft_kit.judge.ledger import Ledger
from rft_kit.judge.runner import engine_for, run
from rft_kit.records import Sample

REFERENCE = "the quick brown fox jumps over the lazy dog near the river bank"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(latency_s: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rft_kit.local_openai",
            "--port",
            str(port),
            "--latency-s",
            str(latency_s),
            "--quiet",
            "--default-embedding-model",
            "hashing-embed-256",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base_url}/models", timeout=1).read()
            return proc, base_url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the local server did not start")


def grader_config(base_url: str, concurrency: int, cache: bool) -> dict[str, Any]:
    return {
        "type": "score_model",
        "name": "bench",
        "model": "sim-judge",
        "input": [
            {"role": "system", "content": "Score 1 for an exact match, 0.5 for similar meaning, else 0."},
            {"role": "user", "content": "Reference: {{item.reference}}. Model answer: {{sample.output_text}}"},
        ],
        "rft_options": {"base_url": base_url, "concurrency": concurrency, "cache": cache},
    }


def bench_throughput(base_url: str, n: int, seq_n: int, concurrency: int) -> None:
    grader = load_grader(grader_config(base_url, concurrency, cache=True))
    samples = [f"answer number {i}: the quick brown fox" for i in range(n)]
    items = [{"reference": REFERENCE}] * n
    grader.grade("warm-up", {"reference": REFERENCE})  # client creation, first connection
    start = time.perf_counter()
    results = grader.grade_batch(samples, items)
    engine_s = time.perf_counter() - start
    errors = sum(not r.ok for r in results)

    (request,) = grader._requests(Sample.from_text("x"), {"reference": REFERENCE})
    client = openai.OpenAI(base_url=base_url, api_key="local", max_retries=0)
    kwargs = grader.engine._kwargs(request, "json_schema")
    client.chat.completions.create(**kwargs)  # warm-up
    start = time.perf_counter()
    for i in range(seq_n):
        messages = [kwargs["messages"][0], {"role": "user", "content": f"Reference: {REFERENCE}. Model answer: {i}"}]
        client.chat.completions.create(**{**kwargs, "messages": messages})
    seq_s = time.perf_counter() - start

    engine_rate, seq_rate = n / engine_s, seq_n / seq_s
    print(f"throughput with 50 ms latency ({n} engine calls, concurrency {concurrency}; {seq_n} sequential SDK calls)")
    print(f"  engine (grade_batch): {engine_rate:8.1f} calls/s  ({engine_s:.2f} s, {errors} errors)")
    print(f"  sequential plain SDK: {seq_rate:8.1f} calls/s  ({seq_s / seq_n * 1000:.1f} ms/call)")
    print(f"  ratio:                {engine_rate / seq_rate:8.1f}x  (target >= 30x)")


def bench_overhead(base_url: str, calls: int, rounds: int) -> None:
    grader = load_grader(grader_config(base_url, 64, cache=False))
    (request,) = grader._requests(Sample.from_text("the quick fox"), {"reference": REFERENCE})
    engine = engine_for(EngineSettings(base_url=base_url, concurrency=64, cache_path=None))
    ledger = Ledger()
    kwargs = engine._kwargs(request, "json_schema")
    client = openai.AsyncOpenAI(base_url=base_url, api_key="local", max_retries=0)

    async def via_engine() -> None:
        for _ in range(calls):
            await engine.complete(request, ledger=ledger, cache="off")

    async def via_sdk() -> None:
        for _ in range(calls):
            await client.chat.completions.create(**kwargs)

    async def via_post() -> None:
        for _ in range(calls):
            await client.post("/chat/completions", cast_to=object, body=kwargs)

    def via_grader() -> None:
        for _ in range(calls):
            grader.grade("the quick fox", {"reference": REFERENCE})

    jobs = {
        "typed": lambda: run(via_sdk()),
        "post": lambda: run(via_post()),
        "engine": lambda: run(via_engine()),
        "grader": via_grader,
    }
    for job in jobs.values():  # warm every path
        job()
    per_call: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(rounds):  # interleaved rounds, so load from elsewhere hits every path alike
        for name, job in jobs.items():
            start = time.perf_counter()
            job()
            per_call[name].append((time.perf_counter() - start) / calls * 1000)
    # The best round per path: load from other processes only ever adds time, so the minimum is the least noisy.
    typed, post, eng, grd = (min(per_call[k]) for k in jobs)
    print(f"overhead per call, zero latency, cache off (best of {rounds} rounds x {calls} sequential calls)")
    print(f"  AsyncOpenAI chat.completions.create: {typed:6.3f} ms (typed SDK call + HTTP + simulated server)")
    print(f"  AsyncOpenAI post (same JSON body):   {post:6.3f} ms (what the engine sends through)")
    print(f"  JudgeEngine.complete:                {eng:6.3f} ms -> engine overhead {eng - post:+.3f} ms/call (< 1 ms)")
    print(f"  score_model.grade():                 {grd:6.3f} ms -> grader overhead {grd - post:+.3f} ms/call")


def bench_ranking(base_url: str, items: int, group: int) -> None:
    rows = [{"id": f"q{i}", "prompt": f"Summarise item {i}", "reference": REFERENCE} for i in range(items)]
    samples = [
        f"answer {k} for item {i}: the quick brown fox {'jumps ' * k}" for i in range(items) for k in range(group)
    ]
    pairs = [rows[i] for i in range(items) for _ in range(group)]
    ranking = load_grader(
        {
            "type": "ranking_judge",
            "name": "bench_rank",
            "model": "sim-judge",
            "criteria": "closest to the reference",
            "reference": "{{item.reference}}",
            "rft_options": {"base_url": base_url, "cache": False},
        }
    )
    scoring = load_grader({**grader_config(base_url, 64, cache=False), "name": "bench_score"})
    measured = {}
    for name, grader in (("ranking_judge", ranking), ("score_model", scoring)):
        start = time.perf_counter()
        results = grader.grade_batch(samples, pairs)
        seconds = time.perf_counter() - start
        ledger = grader.ledger.snapshot()  # type: ignore[attr-defined]
        errors = sum(not r.ok for r in results)
        calls = sum(slot["calls"] for slot in ledger["per_model"].values())
        measured[name] = (calls / items, ledger["tokens"] / items, seconds, errors)
    print(f"ranking vs per-sample scoring ({items} items x {group} samples, zero-latency server)")
    for name, (calls, tokens, seconds, errors) in measured.items():
        print(f"  {name:14s} {calls:6.2f} calls/item  {tokens:9.1f} tokens/item  ({seconds:.2f} s, {errors} errors)")
    (rc, rt, _, _), (sc, st, _, _) = measured["ranking_judge"], measured["score_model"]
    print(f"  ratio ranking / score_model: calls {rc / sc:.3f}x, tokens {rt / st:.3f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seq-n", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--overhead-calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--part", choices=("all", "ranking", "engine"), default="all")
    parser.add_argument("--ranking-items", type=int, default=50)
    args = parser.parse_args()
    os.environ["RFT_KIT_CACHE"] = tempfile.mkdtemp(prefix="rft-bench-judge-")  # fresh: the cache must not fake it
    slow, slow_url = start_server(0.05)
    fast, fast_url = start_server(0.0)
    try:
        if args.part in ("all", "engine"):
            bench_throughput(slow_url, args.n, args.seq_n, args.concurrency)
            bench_overhead(fast_url, args.overhead_calls, args.rounds)
        if args.part in ("all", "ranking"):
            bench_ranking(fast_url, args.ranking_items, 8)
    finally:
        for proc in (slow, fast):
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
