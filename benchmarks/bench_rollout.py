"""Rollout throughput: our engine at concurrency 64 against a plain sequential loop, and environment overhead.

Workload: E episodes (default 500) of the real ``support_store`` environment, each 4 tool calls (find_customer,
get_order, refund_items, get_order) and a final answer, i.e. 5 chat completions per episode, played by the SIMULATED
``sim-agent-oracle``. The model endpoint is ``rft local-server --latency 0.05`` in its own process (50 ms per call;
the load generator does not share its interpreter).

* **engine**: :func:`rft_kit.rollout.rollout` at ``--concurrency`` (default 64), writing samples.jsonl.
* **baseline**: the plain loop a user would write: the synchronous ``openai`` SDK and the same environment, one
  episode after another, one call at a time.

Both runs check that every episode ends with ``final_answer`` and the same final state. Printed: episodes/s of each
and the ratio (target >= 30x), then the environment's own cost per tool call (``env.call`` in-process, no network;
target < 0.2 ms for pure-Python environments) and the engine's per-call environment time from the records.

Last, sandboxed tools: ``--sandboxed-episodes`` (default 64) ``data_analysis`` episodes, whose ``run_sql`` runs each
query in rft-kit's sandbox, rolled out by the engine with slow environment work moved to its thread pool (the
default) and with everything inline on the event loop (``offload_after_ms=inf``), as a ratio of wall times.

Usage: ``python benchmarks/bench_rollout.py [--episodes 500] [--concurrency 64] [--latency 0.05]
[--baseline-episodes N]`` (a smaller baseline is extrapolated per episode, and says so).
"""

from __future__ import annotations

import argparse
import json
import math
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import openai

from rft_kit.environments import build_environment, environment_class
from rft_kit.rollout import RolloutParams, rollout
from rft_kit.sampling import SamplingParams


def _row(k: int) -> dict[str, Any]:
    sku, order_id, email = f"SKU-{k}", f"O-{10000 + k}", f"c{k}@example.com"
    spec = {
        "name": "support_store",
        "today": "2026-03-10",
        "customers": [{"id": f"C-{k}", "name": "Sam Roe", "email": email, "tier": "standard"}],
        "orders": [
            {
                "id": order_id,
                "customer_id": f"C-{k}",
                "status": "delivered",
                "placed": "2026-03-01",
                "delivered": "2026-03-04",
                "items": [
                    {"sku": sku, "product_id": f"P-{k}", "name": "kettle", "price_cents": 3900, "final_sale": False}
                ],
            }
        ],
        "products": [{"id": f"P-{k}", "name": "kettle", "variants": {sku: 2}}],
    }
    return {
        "id": f"bench-{k}",
        "messages": [{"role": "user", "content": f"My kettle from order {order_id} arrived broken; refund it."}],
        "tools": environment_class("support_store").tool_schemas(spec),
        "environment": spec,
        "oracle_plan": [
            {"name": "find_customer", "arguments": {"email": email}},
            {"name": "get_order", "arguments": {"order_id": order_id}},
            {"name": "refund_items", "arguments": {"order_id": order_id, "skus": [sku], "reason": "arrived broken"}},
            {"name": "get_order", "arguments": {"order_id": order_id}},
            {"final_answer": f"Refunded {sku} from {order_id}."},
        ],
    }


def _reference(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("messages", "tools", "environment")}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(latency: float) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [sys.executable, "-m", "rft_kit", "local-server", "--port", str(port), "--latency", str(latency)]
    process = subprocess.Popen([*command, "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1).read()
            return process, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the local server did not come up")


def _sequential(rows: list[dict[str, Any]], base_url: str) -> tuple[float, list[Any]]:
    """The baseline: one episode at a time with the synchronous SDK and the same environment."""
    client = openai.OpenAI(base_url=base_url, api_key="local", max_retries=0)
    states = []
    start = time.perf_counter()
    for row in rows:
        env = build_environment(row["environment"])
        messages: list[Any] = list(row["messages"])
        for _ in range(10):
            completion = client.chat.completions.create(
                model="sim-agent-oracle",
                messages=messages,
                tools=row["tools"],
                seed=0,
                extra_body={"rft_reference": _reference(row)},
            )
            message = completion.choices[0].message
            messages.append(message.model_dump(exclude_none=True))
            if not message.tool_calls:
                break
            for call in message.tool_calls:
                result = env.call(call.function.name, call.function.arguments)  # type: ignore[union-attr]
                messages.append({"role": "tool", "tool_call_id": call.id, "content": result.output})
        states.append(env.snapshot())
        env.close()
    client.close()
    return time.perf_counter() - start, states


def _sandboxed(episodes: int, concurrency: int, base_url: str) -> tuple[tuple[float, int], tuple[float, int]]:
    """Wall time (and ops moved to threads) of sandboxed episodes with the thread pool, then all inline."""
    from rft_kit.tasks import generate, write_items

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tasks = Path(tmp) / "tasks.jsonl"
        write_items(generate("data_analysis", episodes, seed=5, difficulty="medium"), tasks)
        for threshold in (RolloutParams.offload_after_ms, math.inf):
            out = Path(tmp) / f"episodes-{threshold}.jsonl"
            sampling = SamplingParams(model="sim-agent-oracle", concurrency=concurrency)
            summary = rollout(tasks, out, RolloutParams(sampling, max_turns=30, offload_after_ms=threshold),
                              base_url=base_url)  # fmt: skip
            assert summary.stop_reasons == {"final_answer": episodes}, summary.stop_reasons
            results.append((summary.duration_s, summary.environment_offloaded))
    return results[0], results[1]


def _env_overhead(rows: list[dict[str, Any]], repeats: int = 5) -> tuple[float, float]:
    """Mean microseconds per tool call of ``env.call`` alone, and of building + snapshotting per episode."""
    calls = 0
    call_s = other_s = 0.0
    for _ in range(repeats):
        for row in rows:
            started = time.perf_counter()
            env = build_environment(row["environment"])
            built = time.perf_counter()
            for step in row["oracle_plan"][:-1]:
                env.call(step["name"], json.dumps(step["arguments"]))
                calls += 1
            called = time.perf_counter()
            env.snapshot()
            env.close()
            call_s += called - built
            other_s += (built - started) + (time.perf_counter() - called)
    return call_s / calls * 1e6, other_s / (repeats * len(rows)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--baseline-episodes", type=int, default=None, help="default: all of them")
    parser.add_argument("--sandboxed-episodes", type=int, default=64, help="0 skips the sandboxed comparison")
    args = parser.parse_args()
    rows = [_row(k) for k in range(args.episodes)]
    process, base_url = _start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tasks, out = Path(tmp) / "tasks.jsonl", Path(tmp) / "episodes.jsonl"
            tasks.write_text("".join(json.dumps(r) + "\n" for r in rows))
            params = RolloutParams(SamplingParams(model="sim-agent-oracle", concurrency=args.concurrency))
            summary = rollout(tasks, out, params, base_url=base_url)
            records = {r["item_id"]: r for r in map(json.loads, out.read_text().splitlines())}
        engine_s = summary.duration_s
        assert summary.stop_reasons == {"final_answer": args.episodes}, summary.stop_reasons
        assert summary.tool_calls == 4 * args.episodes
        baseline_rows = rows[: args.baseline_episodes or args.episodes]
        baseline_s, states = _sequential(baseline_rows, base_url)
        for row, state in zip(baseline_rows, states, strict=True):
            assert records[row["id"]]["final_state"] == state, "the engine and the baseline disagree on a final state"
        sandboxed = _sandboxed(args.sandboxed_episodes, args.concurrency, base_url) if args.sandboxed_episodes else None
    finally:
        process.terminate()
        process.wait(timeout=30)
    per_episode_baseline = baseline_s / len(baseline_rows)
    baseline_total = per_episode_baseline * args.episodes
    note = "" if len(baseline_rows) == args.episodes else f" (extrapolated from {len(baseline_rows)} episodes)"
    print(f"workload: {args.episodes} episodes x 4 tool calls (5 completions each), {args.latency * 1000:.0f} ms/call")
    print(f"engine   (concurrency {args.concurrency}): {engine_s:8.2f} s  {args.episodes / engine_s:8.1f} episodes/s")
    print(f"baseline (sequential SDK loop):  {baseline_total:8.2f} s  {1 / per_episode_baseline:8.1f} episodes/s{note}")
    print(f"ratio engine / baseline: {baseline_total / engine_s:.1f}x (target >= 30x)")
    per_call_us, per_episode_us = _env_overhead(rows[:200])
    print(f"support_store env.call: {per_call_us:.1f} us per tool call (target < 200 us); "
          f"build + snapshot + close: {per_episode_us:.1f} us per episode")  # fmt: skip
    engine_env_ms = sum(r["timing_ms"]["environment"] for r in records.values())
    print(f"engine's environment time per tool call (incl. build/snapshot, from the records): "
          f"{engine_env_ms / summary.tool_calls * 1000:.1f} us; environment ops moved to threads: "
          f"{summary.environment_offloaded}")  # fmt: skip
    if sandboxed is not None:
        (pooled_s, pooled_n), (inline_s, _) = sandboxed
        print(f"sandboxed run_sql ({args.sandboxed_episodes} data_analysis episodes): thread pool {pooled_s:.2f} s "
              f"({pooled_n} ops in threads), all inline {inline_s:.2f} s: {inline_s / pooled_s:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
