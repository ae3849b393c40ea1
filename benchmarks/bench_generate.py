"""Generation throughput: rft-kit task templates against the closest reasoning-gym generators, in the same run.

Pairs (ours -> theirs), chosen by what the items ask for:

* ``arithmetic_word`` (multi-step word problems, exact fractions) -> ``gsm_symbolic`` (templated GSM8K word problems)
  and ``basic_arithmetic``;
* ``tool_calling`` (requests with relative dates and times to normalise) -> ``calendar_arithmetic`` (date reasoning).

Both sides build every item from scratch by index (reasoning-gym's ``dataset[i]``; our ``generate``). Items/s is
the best of ``--repeats`` alternating runs of ``--n`` items after one warm-up: many short runs and the best of each
side, because on a shared machine the noise only ever slows a run down. The ratio is ours / theirs (target: >= 1.0,
not slower). Run: ``python benchmarks/bench_generate.py [--n 500 --repeats 20]``. Needs ``pip install reasoning-gym``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

PAIRS = [
    ("arithmetic_word", "medium", "gsm_symbolic"),
    ("arithmetic_word", "medium", "basic_arithmetic"),
    ("tool_calling", "medium", "calendar_arithmetic"),
]


def best_rates(a: Callable[[], int], b: Callable[[], int], repeats: int) -> tuple[float, float]:
    """Best items/s of each side; runs alternate so a burst of machine load hits both sides alike."""
    a(), b()  # warm-up: imports, data files, caches
    rates: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for side, make in enumerate((a, b)):
            start = time.perf_counter()
            count = make()
            rates[side].append(count / (time.perf_counter() - start))
    return max(rates[0]), max(rates[1])


def ours(name: str, level: str, n: int, seed: int) -> Callable[[], int]:
    from rft_kit.tasks import generate

    def run() -> int:
        return sum(1 for _ in generate(name, n, seed=seed, difficulty=level))

    return run


def theirs(name: str, n: int, seed: int) -> Callable[[], int]:
    import reasoning_gym

    def run() -> int:
        dataset = reasoning_gym.create_dataset(name, size=n, seed=seed)
        return sum(1 for i in range(n) if dataset[i] is not None)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="items per run")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    try:
        import reasoning_gym
    except ImportError:
        print("reasoning-gym is not installed: pip install reasoning-gym", file=sys.stderr)
        return 2
    rows: list[dict[str, Any]] = []
    for our_name, level, their_name in PAIRS:
        a, b = best_rates(ours(our_name, level, args.n, args.seed), theirs(their_name, args.n, args.seed), args.repeats)
        rows.append(
            {
                "ours": f"{our_name} ({level})",
                "ours_items_per_s": round(a),
                "reasoning_gym": their_name,
                "theirs_items_per_s": round(b),
                "ratio": round(a / b, 2),
            }
        )
    meta = {
        "n": args.n,
        "repeats": args.repeats,
        "python": platform.python_version(),
        "reasoning_gym": getattr(reasoning_gym, "__version__", "?"),
    }
    if args.json:
        print(json.dumps({"meta": meta, "rows": rows}, indent=2))
        return 0
    print(
        f"generation throughput, best of {args.repeats} x {args.n} items (python {meta['python']}, "
        f"reasoning-gym {meta['reasoning_gym']})"
    )
    print(f"{'rft-kit template':<28}{'items/s':>10}   {'reasoning-gym':<22}{'items/s':>10}{'ratio':>8}")
    for r in rows:
        print(
            f"{r['ours']:<28}{r['ours_items_per_s']:>10}   {r['reasoning_gym']:<22}{r['theirs_items_per_s']:>10}"
            f"{r['ratio']:>8.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
