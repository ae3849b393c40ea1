"""``rft view`` on a generated 100,000-sample run: opening it, filtering, paging, following appended records.

Generates two run folders (a run and its baseline, 25,000 items x 4 samples each, records shaped like the demo's:
a JSON invoice extraction with six sub-rewards, 3% grading errors, three difficulties, two templates), writes
report.json as ``rft run`` does, then times through the app (starlette's TestClient, in process):

* **open**: the run page's requests on a cold app, ``GET /api/runs/{run}`` (builds the index), the first
  ``GET /api/runs/{run}/samples`` page and ``GET /api/runs/{run}/report`` (report.json); the budget is 2 s;
* **filter**: each filter of the sample table, median of 5 warm requests; the budget is 300 ms;
* **page**: a deep page of a sorted listing;
* **append**: 1,000 grades appended while the app runs, then the next request.

Baseline: the same filters answered without an index, by re-reading and parsing ``grades.jsonl`` (what a viewer that
reads files per request does); the ratio says how much the index buys.

Usage: ``python benchmarks/bench_viewer.py [--items 25000] [--samples 4] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

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


def _timed(client: TestClient, url: str) -> tuple[float, dict]:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.text[:300])
    return elapsed, response.json()


def _naive(grades: Path, keep) -> int:
    """The baseline: parse grades.jsonl and filter it, per request."""
    count = 0
    with open(grades, "rb") as handle:
        for line in handle:
            if keep(json.loads(line)):
                count += 1
    return count


FILTERS = {
    "failed": ("status=failed", lambda g: g["status"] == "scored" and g["reward"] < 1.0),
    "errored by kind": ("error_kind=parse", lambda g: (g.get("error") or {}).get("kind") == "parse"),
    "difficulty": ("difficulty=hard", lambda g: "-hard-" in g["item_id"]),
    "template": ("template=receipt_extraction", lambda g: g["item_id"].startswith("receipt")),
    "sub-grader range": ("sub=date&sub_max=0.5", lambda g: g["sub_rewards"].get("date", 1.0) <= 0.5),
    "text search": ("q=cascade", None),
    "flipped vs baseline": ("flipped=any", None),
    "failed, sorted by reward": ("status=failed&sort=-reward", None),
    "failed hard, text, sorted": ("status=failed&difficulty=hard&q=kobalt&sort=reward", None),
}


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
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: 2 cores shared with other engineers' work (load average {load}); numbers vary run to run\n")

        cache = root / "cache"
        shutil.rmtree(cache, ignore_errors=True)
        client = TestClient(create_app(runs, cache_dir=cache), base_url="http://127.0.0.1")
        cpu = time.process_time()
        t_info, info = _timed(client, "/api/runs/big")
        t_page, first = _timed(client, "/api/runs/big/samples")
        t_report, report = _timed(client, "/api/runs/big/report")
        cpu = time.process_time() - cpu
        assert info["indexed"]["samples"] == total
        assert first["total"] == total
        assert report["source"] == "report.json"
        opened = t_info + t_page + t_report
        print(
            f"open (index {total:,} samples, first page, report.json summary): wall {opened * 1000:6.0f} ms, "
            f"CPU {cpu * 1000:6.0f} ms"
        )
        print(
            f"  of which index + facets {t_info * 1000:.0f} ms, first page {t_page * 1000:.0f} ms, "
            f"report {t_report * 1000:.0f} ms (wall)"
        )
        print(f"  budget {OPEN_BUDGET_S * 1000:.0f} ms; wall / budget {opened / OPEN_BUDGET_S:.2f}")
        print("  (CPU time is what this process used; on a shared machine wall time also holds the wait for a core)")
        deadline = time.monotonic() + 60
        while not list(cache.glob("*.msgpack")) and time.monotonic() < deadline:
            time.sleep(0.1)  # the index cache is written by a background thread
        time.sleep(1.0)
        restarted = TestClient(create_app(runs, cache_dir=cache), base_url="http://127.0.0.1")
        cpu = time.process_time()
        t_cached = sum(_timed(restarted, f"/api/runs/big{path}")[0] for path in ("", "/samples", "/report"))
        cpu = time.process_time() - cpu
        print(
            f"open again after a restart (index from its cache, then the files' tails): "
            f"wall {t_cached * 1000:6.0f} ms, CPU {cpu * 1000:6.0f} ms; wall / budget {t_cached / OPEN_BUDGET_S:.2f}"
        )
        t_runs, _ = _timed(client, "/api/runs")
        print(f"runs listing (report.json headlines):         {t_runs * 1000:7.1f} ms")
        _timed(client, "/api/runs/base/samples")  # the baseline's index, which the flipped filter reads

        print(f"\n{'filter':28} {'matches':>8} {'median ms':>10} {'max ms':>8} {'naive ms':>9} {'naive/index':>12}")
        worst = 0.0
        for name, (query, keep) in FILTERS.items():
            times = []
            for _ in range(5):
                elapsed, data = _timed(client, f"/api/runs/big/samples?{query}&per_page=50")
                times.append(elapsed)
            median = statistics.median(times)
            worst = max(worst, max(times))
            naive = ""
            ratio = ""
            if keep is not None:
                start = time.perf_counter()
                count = _naive(runs / "big" / "grades.jsonl", keep)
                naive_s = time.perf_counter() - start
                assert count == data["total"], (name, count, data["total"])
                naive, ratio = f"{naive_s * 1000:9.0f}", f"{naive_s / median:11.0f}x"
            print(f"{name:28} {data['total']:8,} {median * 1000:10.1f} {max(times) * 1000:8.1f} {naive:>9} {ratio:>12}")
        print(
            f"slowest filter request: {worst * 1000:.1f} ms   budget {FILTER_BUDGET_S * 1000:.0f} ms"
            f"   ratio to budget {worst / FILTER_BUDGET_S:.2f}"
        )

        times = [_timed(client, "/api/runs/big/samples?sort=-reward&page=1500&per_page=50")[0] for _ in range(5)]
        print(
            f"\npage 1500 of the listing sorted by reward:    {statistics.median(times) * 1000:7.1f} ms (median of 5)"
        )
        times = [_timed(client, f"/api/runs/big/samples/invoice_extraction-easy-{n}/1")[0] for n in (3, 6, 9, 12, 18)]
        print(f"sample page (reads its lines by offset):      {statistics.median(times) * 1000:7.1f} ms (median of 5)")

        grades_file = runs / "big" / "grades.jsonl"
        size_before = grades_file.stat().st_size
        with open(grades_file, "a") as handle:
            for n in range(1000):
                handle.write(
                    json.dumps({"item_id": f"new-{n}", "sample_index": 0, "reward": 1.0, "status": "scored"}) + "\n"
                )
        elapsed, data = _timed(client, "/api/runs/big/samples?per_page=1")
        assert data["total"] == total + 1000
        print(f"1,000 grades appended, next request:          {elapsed * 1000:7.1f} ms (incremental, no re-read)")
        with open(grades_file, "r+b") as handle:  # leave the run as generated for --reuse
            handle.truncate(size_before)
        (runs / "big" / "report.json").touch()  # still the report of these grades
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
