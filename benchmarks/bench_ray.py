"""Ray executor overhead: ``rft_kit.grade(..., executor="ray")`` against local grading on the same machine.

Baseline: local grading in this process (``workers=1``), the path a one-machine user runs. Workload: N records
(default 20000) of the ``text_similarity`` grader (``fuzzy_match``), from JSONL files to a JSONL output.

Measured (a real ``ray.cluster_utils.Cluster`` on this machine, every node ``num_cpus=1``, 150 MB object store):

1. local: wall time of N records, us/record.
2. Ray start-up: a run of one record on a one-node cluster (connect, start the actor, one task, shut the actors
   down): the fixed cost of a Ray run, paid once per run.
3. Ray, ONE node (one actor: the same CPU budget as local), for each chunk size: wall time of N records, and the
   overhead per record = (ray - start-up - local) / N; the ratio (ray - start-up) / local. The chunk size where
   that overhead falls under 5% of the local time is printed (or "none of the sizes tried").
4. Ray, TWO nodes on this machine at the largest chunk size: records/s. On a 2-core machine shared with other work
   the two nodes compete with the driver for the same cores, so this is not a scaling measurement.
5. The driver's own cost per record (read and join the input, write the output; what every node's results pass
   through): measured here by a run whose grading is skipped (the same reader and writer).

Projected (NOT measured; no multi-machine cluster here): throughput with k nodes of c cores =
min(k * c * per-core rate from (3), driver rate from (5)); the driver is the ceiling because every record is written
by it. Printed for k = 1, 2, 4, 8, 16, 32 with c = 8.

Usage: ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 python benchmarks/bench_ray.py [--records 20000]
[--chunks 16,64,256,1024,4096]``. Say the machine's load when you quote the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # keep every Ray address on 127.0.0.1
# Ray starts its workers at niceness 15 by default; on a machine shared with other work that alone makes them lose
# the CPU to everything else, which is not the executor's overhead. 0 compares like with like (--ray-niceness).
NICENESS_VAR = "RAY_worker_niceness"  # Ray's spelling
NICENESS_DEFAULT = os.environ.get(NICENESS_VAR, "0")

import rft_kit  # noqa: E402 - after the environment above
from rft_kit.grading import _batches, _tasks, load_items  # noqa: E402
from rft_kit.io.jsonl import JsonlWriter  # noqa: E402

GRADER = {
    "type": "text_similarity",
    "name": "fuzzy",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "evaluation_metric": "fuzzy_match",
}
OBJECT_STORE = 150 * 1024 * 1024


def _write(folder: Path, n: int) -> tuple[Path, Path]:
    items = folder / "items.jsonl"
    samples = folder / "samples.jsonl"
    with open(items, "w") as fi, open(samples, "w") as fs:
        for i in range(n):
            answer = f"the invoice total is {i * 7 % 1000} dollars and {i % 100} cents, due on day {i % 28 + 1}"
            fi.write(json.dumps({"id": f"q{i}", "answer": answer}) + "\n")
            guess = answer if i % 3 == 0 else answer.replace("dollars", "USD")[: 40 + i % 40]
            fs.write(json.dumps({"item_id": f"q{i}", "output_text": guess}) + "\n")
    return items, samples


def _timed(folder: Path, name: str, **kwargs: Any) -> tuple[float, Any]:
    out = folder / f"{name}.jsonl"
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    summary = rft_kit.grade(GRADER, kwargs.pop("samples"), kwargs.pop("items"), output=out, **kwargs)
    return time.perf_counter() - t0, summary


def _driver_cost(items: Path, samples: Path, out: Path, n: int) -> float:
    """Seconds per record of the driver's side alone: read and join the input, write records of a realistic size."""
    summary = rft_kit.grading.GradeSummary()
    by_id, ordered = load_items(items, summary)
    record = {"reward": 0.5, "status": "scored", "error": None, "errors": [], "sub_rewards": {}, "metadata": {}}
    t0 = time.perf_counter()
    with JsonlWriter(out) as writer:
        for batch in _batches(_tasks(samples, by_id, ordered, "auto", summary, str(samples)), 256):
            writer.write_many([{"key": t.key, "item_id": t.item_id, "line": t.line, **record} for t in batch])
    return (time.perf_counter() - t0) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--chunks", default="16,64,256,1024,4096")
    parser.add_argument("--ray-niceness", default=NICENESS_DEFAULT, help="Ray workers' niceness (Ray's default: 15)")
    args = parser.parse_args()
    os.environ[NICENESS_VAR] = str(args.ray_niceness)  # read by the raylets this script starts
    n = args.records
    chunks = [int(c) for c in args.chunks.split(",")]

    import ray
    from ray.cluster_utils import Cluster

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        items, samples = _write(folder, n)
        io = {"items": items, "samples": samples}
        local_s, local = _timed(folder, "local", workers=1, **io)
        local_us = local_s / n * 1e6
        print(f"records: {n}, grader: text_similarity fuzzy_match; the machine is shared (2 cores, other jobs)")
        print(f"Ray worker niceness: {args.ray_niceness}")
        print(f"local (workers=1):            {local_s:7.3f} s  {local_us:8.1f} us/record  {n / local_s:9,.0f} rec/s")
        driver_us = _driver_cost(items, samples, folder / "driver.jsonl", n) * 1e6
        print(f"driver side alone (read+write): {driver_us:6.1f} us/record")

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": OBJECT_STORE})
        ray.init(address=cluster.address, log_to_driver=False)
        try:
            one = folder / "one"
            one.mkdir()
            one_items, one_samples = _write(one, 1)
            start_s, _ = _timed(one, "start", executor="ray", items=one_items, samples=one_samples)
            print(f"ray start-up (1 record, 1 node): {start_s:6.3f} s (fixed per run)")
            print("ray, 1 node (1 actor, same CPU budget as local):")
            print(f"  {'chunk':>6} {'wall s':>8} {'us/rec':>8} {'overhead us/rec':>16} {'ratio':>7}")
            under: int | None = None
            best_rate = 0.0
            for size in chunks:
                wall, summary = _timed(folder, f"ray{size}", executor="ray", batch_size=size, **io)
                assert summary.graded == n
                assert abs(summary.mean_reward - local.mean_reward) < 1e-9  # the same grades
                steady = max(wall - start_s, 1e-9)
                overhead_us = (steady - local_s) / n * 1e6
                ratio = steady / local_s
                best_rate = max(best_rate, n / steady)
                print(f"  {size:>6} {wall:8.3f} {steady / n * 1e6:8.1f} {overhead_us:16.1f} {ratio:7.3f}")
                if under is None and ratio <= 1.05:
                    under = size
            print(
                "  overhead under 5% from chunk size: "
                + (str(under) if under is not None else f"none of the sizes tried ({args.chunks})")
            )
            cluster.add_node(num_cpus=1, object_store_memory=OBJECT_STORE)
            cluster.wait_for_nodes()
            size = chunks[-1] if n >= 4 * chunks[-1] else max(16, n // 8)
            wall, summary = _timed(folder, "ray2", executor="ray", batch_size=size, **io)
            nodes = summary.execution.nodes
            print(
                f"ray, 2 nodes on this 2-core machine, chunk {size}: {wall:.3f} s incl. start-up, "
                f"{n / max(wall - start_s, 1e-9):,.0f} rec/s steady; nodes used: {nodes} "
                "(measured; both nodes share the same 2 cores with the driver)"
            )
        finally:
            ray.shutdown()
            cluster.shutdown()

    driver_rate = 1e6 / driver_us
    print("PROJECTED, not measured (no multi-machine cluster here): k nodes x 8 cores,")
    print(f"  min(k * 8 * {best_rate:,.0f} rec/s per core (1-node Ray, best chunk), driver {driver_rate:,.0f} rec/s):")
    for k in (1, 2, 4, 8, 16, 32):
        projected = min(k * 8 * best_rate, driver_rate)
        bound = "driver-bound" if projected == driver_rate else "node-bound"
        print(f"  k={k:>2}: {projected:12,.0f} rec/s  ({projected / (n / local_s):6.1f}x local, {bound})")


if __name__ == "__main__":
    main()
