"""``rft view`` on a generated 100,000-sample run: opening it, filtering, searching, sorting, paging, following
appended records.

Generates two run folders (a run and its baseline, 25,000 items x 4 samples each, records shaped like the demo's:
a JSON invoice extraction with six sub-rewards, 3% grading errors, three difficulties, two templates), writes
report.json as ``rft run`` does, then times through the app (starlette's TestClient, in process). Every line gives
wall time and CPU time (``time.process_time``, all of this process's threads): the machine has 2 cores shared with
other people's work, so wall time also holds the wait for a core, and CPU time is the steadier number.

* **open, cold**: the run page's requests on a new app with no index cache, ``GET /api/runs/{run}`` (builds the
  index, search columns included), the first ``GET /api/runs/{run}/samples`` page and ``GET /api/runs/{run}/report``
  (report.json); then the first text search of that session; the budget is 2 s to open;
* **open, warm**: the same on a new app whose index cache (written by the cold open) is there;
* **requests**: each filter, search, sort and page twice over: the **first** request of a new app just opened from
  the cache (the first one of a session, nothing built for it yet), then the median of 5 repeats; the budget is
  300 ms each;
* **append**: 1,000 samples and grades appended while the app runs (and a torn last line), then the next request
  and a search that finds only the new records.

Baseline: the same filters answered without an index, by re-reading and parsing ``grades.jsonl`` (what a viewer that
reads files per request does); the ratio says how much the index buys. ``uptime`` is printed before and after.

Usage: ``python benchmarks/bench_viewer.py [--items 25000] [--samples 4] [--keep DIR [--reuse]]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from rft_kit.report import make_report, write_report
from rft_kit.viewer.app import create_app

SUBS = ("vendor", "number", "date", "currency", "total", "lines")
VENDORS = ("Lumen Lab Instruments AB", "Kobalt Werkzeuge GmbH", "Maple Leaf Catering Co.", "Cascade IT Services LLC")
OPEN_BUDGET_S = 2.0
FILTER_BUDGET_S = 0.3


def _generate(folder: Path, items: int, samples: int, seed: int, baseline: str | None) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    meta = {
        "name": folder.name,
        "model": {"name": f"bench-{seed}", "simulated": True},
        "grader": {"config": {"name": "invoice_extraction", "type": "multi", "pass_threshold": 1.0}},
        "baseline": baseline,
        "stages": {},
    }
    (folder / "run.json").write_text(json.dumps(meta))
    with (
        open(folder / "tasks.jsonl", "w") as tasks,
        open(folder / "samples.jsonl", "w") as out,
        open(folder / "grades.jsonl", "w") as grades,
    ):
        for n in range(items):
            difficulty = ("easy", "medium", "hard")[n % 3]
            template = "invoice_extraction" if n % 5 else "receipt_extraction"
            item_id = f"{template}-{difficulty}-{n}"
            vendor = VENDORS[n % len(VENDORS)]
            prompt = f"Extract the invoice fields from this document:\n\n{vendor}\nInvoice no.: INV-{n:06d}\n" + (
                "  Cordless drill set with two batteries   10 x 129.90   1,299.00\n" * 8
            )
            tasks.write(
                json.dumps(
                    {
                        "id": item_id,
                        "messages": [
                            {"role": "developer", "content": "Return JSON."},
                            {"role": "user", "content": prompt},
                        ],
                        "answer": {"vendor": vendor, "total": "1904.89"},
                        "metadata": {"template": template, "difficulty": difficulty},
                    }
                )
                + "\n"
            )
            for index in range(samples):
                subs = {name: (1.0 if rng.random() > 0.08 else 0.0) for name in SUBS}
                text = json.dumps(
                    {
                        "vendor": vendor,
                        "invoice_number": f"INV-{n:06d}",
                        "invoice_date": "2025-02-02",
                        "total": "1904.89",
                    }
                )
                out.write(
                    json.dumps(
                        {
                            "item_id": item_id,
                            "sample_index": index,
                            "choices": [
                                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
                            ],
                            "output_text": text,
                            "output_json": json.loads(text),
                            "output_tools": [],
                            "model": meta["model"]["name"],
                            "usage": {"prompt_tokens": 233, "completion_tokens": 58},
                            "latency_ms": 30.0,
                        }
                    )
                    + "\n"
                )
                error = rng.random() < 0.03
                grade = {
                    "key": f"{item_id}#{index}",
                    "item_id": item_id,
                    "sample_index": index,
                    "reward": 0.0 if error else sum(subs.values()) / len(subs),
                    "status": "error" if error else "scored",
                    "error": {"kind": "parse", "flag": "sample_parse_error", "message": "not JSON"} if error else None,
                    "errors": [],
                    "sub_rewards": {} if error else subs,
                    "metadata": {},
                    "duration_ms": 0.2,
                    "token_usage": None,
                    "grader": {"name": "invoice_extraction", "type": "multi"},
                }
                grades.write(json.dumps(grade) + "\n")


@dataclass
class Timing:
    wall: float
    cpu: float


def _timed(client: TestClient, url: str) -> tuple[Timing, dict]:
    cpu, start = time.process_time(), time.perf_counter()
    response = client.get(url)
    timing = Timing(time.perf_counter() - start, time.process_time() - cpu)
    assert response.status_code == 200, (url, response.text[:300])
    return timing, response.json()


def _naive(grades: Path, keep: Callable[[dict[str, Any]], bool]) -> int:
    """The baseline: parse grades.jsonl and filter it, per request."""
    count = 0
    with open(grades, "rb") as handle:
        for line in handle:
            if keep(json.loads(line)):
                count += 1
    return count


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


# name -> (query, the naive baseline's predicate on a grade record, or None where it has none)
REQUESTS: dict[str, tuple[str, Callable[[dict[str, Any]], bool] | None]] = {
    "all, first page": ("", None),
    "failed": ("status=failed", lambda g: g["status"] == "scored" and g["reward"] < 1.0),
    "errored": ("status=errored", lambda g: g["status"] == "error"),
    "errored by kind": ("error_kind=parse", lambda g: (g.get("error") or {}).get("kind") == "parse"),
    "flipped vs baseline": ("flipped=any", None),
    "template": ("template=receipt_extraction", lambda g: g["item_id"].startswith("receipt")),
    "difficulty": ("difficulty=hard", lambda g: "-hard-" in g["item_id"]),
    "sub-grader range": ("sub=date&sub_max=0.5", lambda g: g["sub_rewards"].get("date", 1.0) <= 0.5),
    "reward range": ("min_reward=0.3&max_reward=0.9", lambda g: g["status"] == "scored" and 0.3 <= g["reward"] <= 0.9),
    "labelled": ("labelled=no", None),
    "text: rare (kobalt)": ("q=kobalt", None),
    "text: every row (invoice)": ("q=invoice", None),
    "text: one letter (e)": ("q=e", None),
    "text: no match (zzzq)": ("q=zzzq", None),
    "text: id (-hard-1234)": ("q=-hard-1234", None),
    "sort by reward, desc": ("sort=-reward", None),
    "sort by item": ("sort=item", None),
    "sort by sub-grader": ("sub=total&sort=sub", None),
    "failed, sorted by reward": ("status=failed&sort=-reward", None),
    "failed hard, text, sorted": ("status=failed&difficulty=hard&q=kobalt&sort=reward", None),
    "page 1500, sorted": ("sort=-reward&page=1500", None),
    "page 70 of failed, 500/page": ("status=failed&page=70&per_page=500", None),
}


def _open(runs: Path, cache: Path) -> tuple[TestClient, Timing, list[Timing], int]:
    """A new app, and the run page's three requests on it."""
    client = TestClient(create_app(runs, cache_dir=cache), base_url="http://127.0.0.1")
    cpu, start = time.process_time(), time.perf_counter()
    parts = []
    total = -1
    for path in ("", "/samples", "/report"):
        timing, data = _timed(client, f"/api/runs/big{path}")
        parts.append(timing)
        total = data.get("total", total)
    return client, Timing(time.perf_counter() - start, time.process_time() - cpu), parts, total


def _wait_for_cache(cache: Path) -> None:
    deadline = time.monotonic() + 60
    while not list(cache.glob("*.msgpack")) and time.monotonic() < deadline:
        time.sleep(0.1)  # the index cache is written by a background thread
    time.sleep(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=25_000)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--keep", type=Path, default=None, help="Generate into this folder and keep it.")
    parser.add_argument("--reuse", action="store_true", help="Use the runs already generated in --keep.")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-viewer-"))
    runs = root / "runs"
    total = args.items * args.samples
    try:
        start = time.perf_counter()
        if not (args.reuse and (runs / "big" / "report.json").exists()):
            shutil.rmtree(runs, ignore_errors=True)
            _generate(runs / "base", args.items, args.samples, 1, None)
            _generate(runs / "big", args.items, args.samples, 2, "base")
            for name, baseline in (("base", None), ("big", runs / "base")):
                write_report(make_report(runs / name, baseline), runs / name / "report.html")
        size_mb = sum(p.stat().st_size for p in (runs / "big").glob("*.jsonl")) / 1e6
        took = time.perf_counter() - start
        print(f"generated 2 runs of {total:,} samples ({size_mb:.0f} MB of JSONL each) in {took:.1f} s")
        print(f"machine: 2 cores shared with other people's work; before: {_uptime()}\n")

        cache = root / "cache"
        shutil.rmtree(cache, ignore_errors=True)
        client, cold, parts, listed = _open(runs, cache)
        assert listed == total, listed
        search, data = _timed(client, "/api/runs/big/samples?q=cascade")
        assert data["total"] == total // 4, data["total"]
        budget = f"budget {OPEN_BUDGET_S * 1000:.0f} ms"
        print(f"{'':52} {'wall ms':>8} {'CPU ms':>8}")
        print(f"{'open, cold (no index cache): builds the index':52} {_ms(cold.wall)} {_ms(cold.cpu)}   {budget}")
        for label, timing in zip(("index + facets", "first page", "report.json summary"), parts, strict=True):
            print(f"{'  ' + label:52} {_ms(timing.wall)} {_ms(timing.cpu)}")
        print(f"{'  then the first text search of the session':52} {_ms(search.wall)} {_ms(search.cpu)}")
        _wait_for_cache(cache)
        _, warm, _, _ = _open(runs, cache)
        print(f"{'open, warm (index from its cache + the tails)':52} {_ms(warm.wall)} {_ms(warm.cpu)}   {budget}")
        print(f"open cold / warm (CPU): {cold.cpu / max(warm.cpu, 1e-9):.1f}x")
        t_runs, _ = _timed(client, "/api/runs")
        print(f"{'runs listing (report.json headlines)':52} {_ms(t_runs.wall)} {_ms(t_runs.cpu)}")

        print(
            f"\n{'request (per_page=50 unless said)':32} {'matches':>8} {'first wall':>10} {'first CPU':>10}"
            f" {'rep. wall':>10} {'rep. CPU':>9} {'max wall':>9} {'naive ms':>9} {'naive/rep':>9}"
        )
        worst = Timing(0.0, 0.0)
        for name, (query, keep) in REQUESTS.items():
            fresh, _, _, _ = _open(runs, cache)  # a new session: this request is its first filter
            _timed(fresh, "/api/runs/base")  # the baseline's index, as the run page's compare link loads it
            url = f"/api/runs/big/samples?{query}" + ("" if "per_page" in query else "&per_page=50")
            first, data = _timed(fresh, url)
            repeats = [_timed(fresh, url)[0] for _ in range(5)]
            wall = statistics.median(t.wall for t in repeats)
            cpu = statistics.median(t.cpu for t in repeats)
            top = max([first.wall, *(t.wall for t in repeats)])
            worst = Timing(max(worst.wall, top), max([worst.cpu, first.cpu, *(t.cpu for t in repeats)]))
            naive = ratio = ""
            if keep is not None:
                begin = time.perf_counter()
                count = _naive(runs / "big" / "grades.jsonl", keep)
                naive_s = time.perf_counter() - begin
                assert count == data["total"], (name, count, data["total"])
                naive, ratio = f"{naive_s * 1000:9.0f}", f"{naive_s / wall:8.0f}x"
            print(
                f"{name:32} {data['total']:8,} {_ms(first.wall):>10} {_ms(first.cpu):>10} {_ms(wall):>10}"
                f" {_ms(cpu):>9} {_ms(top):>9} {naive:>9} {ratio:>9}"
            )
        print(
            f"slowest request: wall {worst.wall * 1000:.1f} ms, CPU {worst.cpu * 1000:.1f} ms;"
            f" budget {FILTER_BUDGET_S * 1000:.0f} ms; slowest wall / budget {worst.wall / FILTER_BUDGET_S:.2f}"
        )

        timings = [_timed(client, f"/api/runs/big/samples/invoice_extraction-easy-{n}/1")[0] for n in (3, 6, 9, 12, 18)]
        wall, cpu = statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings)
        print(f"\nsample page (reads its lines by offset), median of 5: wall {_ms(wall)} ms, CPU {_ms(cpu)} ms")

        big = runs / "big"
        sizes = {name: (big / name).stat().st_size for name in ("samples.jsonl", "grades.jsonl")}
        with open(big / "samples.jsonl", "a") as samples, open(big / "grades.jsonl", "a") as grades:
            for n in range(1000):
                record = {"item_id": f"new-{n}", "sample_index": 0, "output_text": f"a quokka, number {n}"}
                samples.write(json.dumps(record) + "\n")
                grades.write(json.dumps({"item_id": f"new-{n}", "sample_index": 0, "reward": 1.0, "status": "scored"}))
                grades.write("\n")
            grades.write('{"item_id": "new-torn", "sample_index": 0, "rew')  # a writer mid-line
        appended, data = _timed(client, "/api/runs/big/samples?per_page=1")
        assert data["total"] == total + 1000, data["total"]
        found, data = _timed(client, "/api/runs/big/samples?q=quokka")
        assert data["total"] == 1000, data["total"]
        print(
            f"1,000 samples + grades appended (and a torn line): next request wall {_ms(appended.wall)} ms,"
            f" CPU {_ms(appended.cpu)} ms; a search finding them: wall {_ms(found.wall)} ms, CPU {_ms(found.cpu)} ms"
        )
        for name, size in sizes.items():  # leave the run as generated for --reuse
            with open(big / name, "r+b") as handle:
                handle.truncate(size)
        (big / "report.json").touch()  # still the report of these grades
        print(f"\nafter: {_uptime()}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
