"""Environment overhead per tool call: what ``Environment.call`` adds on top of the tool's own work.

Workload: the oracle plans of 200 rows per level of each pure-Python agentic template (support_desk, including the
245-tool catalogue level; calendar_scheduling; multi_hop_research), every call replayed ``--rounds`` times on fresh
environments. Two timings per call, same calls, same process, alternating:

* baseline: the tool method called directly with already-decoded keyword arguments (``env.search_tools(**args)``),
  i.e. the domain work alone;
* rft-kit: ``env.call(name, arguments_json)``: lookup, JSON parse, jsonschema validation, dispatch (through
  ``call_tool`` where the plan uses it), exception-to-result conversion and rendering the result as text.

The overhead per call is the difference of the medians per call; the target (issue 13) is under 0.2 ms. The
sql_analysis environment is excluded: each ``run_sql`` is a sandboxed job, measured by benchmarks/bench_code.py's
kind of numbers, not by this one. Run::

    .venv/bin/python benchmarks/bench_environments.py [--items 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from rft_kit.environments import build_environment
from rft_kit.environments.base import ToolResult, render_output
from rft_kit.environments.episode import split_plan
from rft_kit.tasks import generate

TEMPLATES = ("support_desk", "calendar_scheduling", "multi_hop_research")


def _direct(env: Any, name: str, arguments: dict[str, Any]) -> None:
    if name == "call_tool":
        name, arguments = arguments["name"], arguments["arguments"]
    spec = env.callable_tools()[name]
    value = getattr(env, spec.method)(**arguments)
    if not isinstance(value, ToolResult):
        render_output(value)


def measure(template: str, items: int, rounds: int) -> dict[str, float]:
    rows = [i for level in ("easy", "medium", "hard") for i in generate(template, items, seed=1, difficulty=level)]
    plans = [(row["environment"], split_plan(row["oracle_plan"])[0]) for row in rows]
    wrapped: list[float] = []
    direct: list[float] = []
    calls = 0
    for _ in range(rounds):
        for spec, steps in plans:
            texts = [(s["name"], json.dumps(s["arguments"])) for s in steps]
            env = build_environment(spec)
            start = time.perf_counter_ns()
            for name, text in texts:
                env.call(name, text)
            wrapped.append((time.perf_counter_ns() - start) / max(1, len(texts)))
            env = build_environment(spec)
            start = time.perf_counter_ns()
            for step in steps:
                _direct(env, step["name"], step["arguments"])
            direct.append((time.perf_counter_ns() - start) / max(1, len(steps)))
            calls += len(steps)
    w, d = statistics.median(wrapped) / 1e6, statistics.median(direct) / 1e6
    return {"calls": calls, "call_ms": w, "direct_ms": d, "overhead_ms": w - d}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200, help="rows per level and template")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'environment (template)':34} {'calls':>7} {'env.call ms':>12} {'direct ms':>10} {'overhead ms':>12}"
        f" {'ratio':>6}"
    )
    worst = 0.0
    for template in TEMPLATES:
        r = measure(template, args.items, args.rounds)
        worst = max(worst, r["overhead_ms"])
        print(
            f"{template:34} {r['calls']:>7} {r['call_ms']:>12.4f} {r['direct_ms']:>10.4f} {r['overhead_ms']:>12.4f}"
            f" {r['call_ms'] / r['direct_ms']:>5.2f}x"
        )
    print(f"worst overhead per call: {worst:.4f} ms (target < 0.2 ms): {'OK' if worst < 0.2 else 'OVER'}")


if __name__ == "__main__":
    main()
