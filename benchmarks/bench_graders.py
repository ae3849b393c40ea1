"""Grader throughput: rft-kit's graders vs the reward function a user would otherwise write.

For each grader (string_check, fuzzy_match, rouge_l, and a multi of the three) this grades N (sample, item) pairs
three ways and prints samples/s with ratios:

* ``plain loop``: a Python loop calling the same libraries directly (rapidfuzz, rouge-score), one call per pair --
  the reward function a user would write by hand;
* ``rft rewards``: ``grader.rewards(samples, items)`` in batches of 1,024: a list of floats, what the plain loop
  returns and what a trainer's reward function needs (with every check the per-pair path makes on the samples);
* ``rft batch``: ``grader.grade_batch(samples, items)`` in batches of 1,024 (results are full GradeResult objects);
* ``rft grade()``: the whole streaming pipeline from JSONL files to a grades JSONL file (reading, joining, grading,
  writing, resumable bookkeeping), one process.

It also checks that every reward equals the plain loop's (max |difference| must be 0 for rouge-score: the rewrite
is bit-identical) and prints rouge_l vs rouge-score on its own.

Usage: ``python benchmarks/bench_graders.py [--n 100000] [--seed 0]``
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, utils
from rouge_score import rouge_scorer

import rft_kit
from rft_kit.grading import grade

WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "was",
    "for",
    "that",
    "with",
    "as",
    "on",
    "by",
    "at",
    "from",
    "his",
    "her",
    "an",
    "which",
    "were",
    "are",
    "this",
    "be",
    "not",
    "or",
    "have",
    "had",
    "but",
    "their",
    "been",
    "one",
    "all",
    "also",
    "new",
    "more",
    "can",
    "first",
    "after",
    "two",
    "other",
    "its",
    "time",
    "year",
    "into",
    "only",
    "over",
    "some",
    "used",
    "such",
    "most",
    "then",
    "city",
    "school",
    "three",
    "would",
    "these",
    "may",
    "where",
    "between",
    "many",
    "both",
    "under",
    "state",
    "during",
    "known",
    "being",
    "how",
    "model",
    "reward",
    "grader",
    "token",
    "answer",
    "sample",
    "item",
    "learning",
    "policy",
    "value",
    "gradient",
    "batch",
    "step",
    "epoch",
]


def make_pairs(n: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Reference answers of 8-40 words; outputs are edited copies (substitutions, deletions, insertions)."""
    rng = random.Random(seed)
    samples, items = [], []
    for i in range(n):
        ref = [rng.choice(WORDS) for _ in range(rng.randint(8, 40))]
        out = []
        for word in ref:
            roll = rng.random()
            if roll < 0.10:
                out.append(rng.choice(WORDS))
            elif roll < 0.15:
                continue
            else:
                out.append(word)
            if rng.random() < 0.05:
                out.append(rng.choice(WORDS))
        text = " ".join(out)
        answer = " ".join(ref)
        if rng.random() < 0.2:
            text = answer  # some exact matches so string_check is not constant
        items.append({"id": f"i{i}", "answer": answer})
        samples.append({"item_id": f"i{i}", "output_text": text})
    return samples, items


def configs() -> dict[str, dict[str, Any]]:
    base = {"input": "{{sample.output_text}}", "reference": "{{item.answer}}"}
    check = {"type": "string_check", "name": "exact", **base, "operation": "eq"}
    fuzzy = {"type": "text_similarity", "name": "fuzzy", **base, "evaluation_metric": "fuzzy_match"}
    rouge = {"type": "text_similarity", "name": "rouge", **base, "evaluation_metric": "rouge_l"}
    multi = {
        "type": "multi",
        "name": "combined",
        "graders": {"exact": check, "fuzzy": fuzzy, "rouge": rouge},
        "calculate_output": "0.2 * exact + 0.4 * fuzzy + 0.4 * rouge",
    }
    return {"string_check": check, "fuzzy_match": fuzzy, "rouge_l": rouge, "multi": multi}


def plain_functions() -> dict[str, Callable[[dict[str, Any], dict[str, Any]], float]]:
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)

    def exact(sample: dict[str, Any], item: dict[str, Any]) -> float:
        return 1.0 if sample["output_text"] == item["answer"] else 0.0

    def fuzzy(sample: dict[str, Any], item: dict[str, Any]) -> float:
        return fuzz.WRatio(sample["output_text"], item["answer"], processor=utils.default_process) / 100.0

    def rouge(sample: dict[str, Any], item: dict[str, Any]) -> float:
        return scorer.score(item["answer"], sample["output_text"])["rougeL"].fmeasure

    def combined(sample: dict[str, Any], item: dict[str, Any]) -> float:
        return 0.2 * exact(sample, item) + 0.4 * fuzzy(sample, item) + 0.4 * rouge(sample, item)

    return {"string_check": exact, "fuzzy_match": fuzzy, "rouge_l": rouge, "multi": combined}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="pairs per grader (default 100000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    samples, items = make_pairs(args.n, args.seed)
    plain = plain_functions()
    print(f"{args.n:,} pairs, references of 8-40 words; Python {sys.version.split()[0]}; rft-kit {rft_kit.__version__}")
    header = (
        f"{'grader':<13} {'plain loop/s':>13} {'rft rewards/s':>14} {'ratio':>6} {'rft batch/s':>12} {'ratio':>6} "
        f"{'rft grade()/s':>14} {'ratio':>6} {'max |diff|':>11}"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        items_path = Path(tmp) / "items.jsonl"
        samples_path = Path(tmp) / "samples.jsonl"
        items_path.write_text("".join(json.dumps(i) + "\n" for i in items))
        samples_path.write_text("".join(json.dumps(s) + "\n" for s in samples))
        for name, config in configs().items():
            grader = rft_kit.load_grader(config)
            fn = plain[name]
            t_plain, expected = timed(lambda fn=fn: [fn(s, i) for s, i in zip(samples, items, strict=True)])

            def batched(grader: rft_kit.Grader = grader) -> list[float]:
                out: list[float] = []
                for k in range(0, len(samples), 1024):
                    out.extend(r.reward for r in grader.grade_batch(samples[k : k + 1024], items[k : k + 1024]))
                return out

            def floats(grader: rft_kit.Grader = grader) -> list[float]:
                out: list[float] = []
                for k in range(0, len(samples), 1024):
                    rewards = grader.rewards(samples[k : k + 1024], items[k : k + 1024])
                    assert rewards is not None, "the vectorised path must apply to this workload"
                    out.extend(rewards)
                return out

            t_rewards, got_rewards = timed(floats)
            t_batch, got = timed(batched)
            out_path = Path(tmp) / f"grades-{name}.jsonl"
            t_pipe, summary = timed(
                lambda grader=grader, out_path=out_path: grade(
                    grader, samples_path, items_path, output=out_path, workers=1, batch_size=1024
                )
            )
            diff = max(
                max(abs(a - b) for a, b in zip(expected, got, strict=True)),
                max(abs(a - b) for a, b in zip(expected, got_rewards, strict=True)),
            )
            assert summary.graded == args.n, summary.to_dict()
            rate_plain, rate_batch, rate_pipe = args.n / t_plain, args.n / t_batch, args.n / t_pipe
            rate_rewards = args.n / t_rewards
            print(
                f"{name:<13} {rate_plain:>13,.0f} {rate_rewards:>14,.0f} {rate_rewards / rate_plain:>5.2f}x "
                f"{rate_batch:>12,.0f} {rate_batch / rate_plain:>5.2f}x "
                f"{rate_pipe:>14,.0f} {rate_pipe / rate_plain:>5.2f}x {diff:>11.2e}"
            )
            if diff > 1e-12:
                failures += 1
                print(f"  !! {name}: rewards differ from the plain loop by up to {diff}")

    # rouge_l on its own: our rewrite vs rouge-score, same texts, identical floats required.
    metric_grader = rft_kit.load_grader(configs()["rouge_l"])
    metric = metric_grader.metric  # type: ignore[attr-defined]
    refs = [i["answer"] for i in items]
    outs = [s["output_text"] for s in samples]
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    t_ref, ref_scores = timed(lambda: [scorer.score(r, o)["rougeL"].fmeasure for r, o in zip(refs, outs, strict=True)])
    t_one, one_scores = timed(lambda: [metric.score(o, r) for r, o in zip(refs, outs, strict=True)])
    t_many, many_scores = timed(lambda: metric.score_batch(outs, refs))
    identical = ref_scores == one_scores == many_scores
    print()
    print(
        f"rouge_l: rouge-score {args.n / t_ref:,.0f}/s | rft per-pair {args.n / t_one:,.0f}/s "
        f"({t_ref / t_one:.1f}x) | rft batch {args.n / t_many:,.0f}/s ({t_ref / t_many:.1f}x) | "
        f"identical floats: {identical}"
    )
    if not identical:
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
