"""The iteration report as data: every figure of report.json, computed from one run (and optionally a baseline).

The HTML, Markdown and terminal renderings all read this dict, so they cannot disagree with each other.

Definitions used throughout:

* a sample **passes** when it was scored and its reward is at least the grader's ``pass_threshold`` (default 1.0);
  grading errors are neither passes nor failures (error rates are reported separately), except in ``mean_reward``,
  where an error counts 0 as it does for a trainer;
* an item **passes** when at least half of its scored samples pass (used only for "flipped" items);
* an item has **no learning signal** when it has two or more samples and all of them got the same reward.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from .._version import __version__
from ..judge.ledger import Usage, price_for
from .agentic import agentic_comparison, agentic_section
from .collect import ItemStats, RunData
from .stats import histogram, mean_at_k, mean_pass_at_k, paired_bootstrap, population_variance

__all__ = ["BINS", "build_report"]

BINS: Final = 10
BOOTSTRAP_SEED: Final = 20260101
BOOTSTRAP_RESAMPLES: Final = 2000
_FLIPPED_SHOWN = 25


def _ks(max_n: int) -> list[int]:
    ks, k = [], 1
    while k <= max_n:
        ks.append(k)
        k *= 2
    if max_n not in ks and max_n > 0:
        ks.append(max_n)
    return ks


def _pass_stats(items: Iterable[ItemStats], threshold: float) -> dict[str, Any]:
    items = list(items)
    counts = [(len(i.scored), i.passed(threshold)) for i in items if i.scored]
    max_n = max((n for n, _ in counts), default=0)
    rewards = {i.item_id: i.rewards for i in items}
    scored = sum(n for n, _ in counts)
    return {
        "pass_rate": sum(c for _, c in counts) / scored if scored else None,
        "pass_at_k": {str(k): mean_pass_at_k(counts, k) for k in _ks(max_n)},
        "mean_at_k": {str(k): mean_at_k(rewards, k) for k in _ks(max_n)},
    }


def _signal(items: Iterable[ItemStats]) -> dict[str, Any]:
    multi = [i for i in items if len(i.rewards) >= 2]
    same = [i for i in multi if len(set(i.rewards.values())) == 1]
    all_zero = sum(1 for i in same if next(iter(i.rewards.values())) == 0)
    variances = [population_variance(list(i.rewards.values())) for i in multi]
    return {
        "items_with_several_samples": len(multi),
        "no_signal": len(same),
        "no_signal_all_same_max": len(same) - all_zero,
        "no_signal_all_zero": all_zero,
        "share_no_signal": len(same) / len(multi) if multi else None,
        "mean_item_variance": sum(variances) / len(variances) if variances else None,
        "variance_histogram": histogram(variances, bins=BINS, low=0.0, high=0.25) if variances else [0] * BINS,
    }


def _breakdown(items: Iterable[ItemStats], threshold: float, key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[ItemStats]] = defaultdict(list)
    for item in items:
        groups[getattr(item, key)].append(item)
    rows = []
    for value, members in sorted(groups.items()):
        rewards = [r for i in members for r in i.rewards.values()]
        stats = _pass_stats(members, threshold)
        rows.append(
            {
                "value": value,
                "items": len(members),
                "samples": len(rewards),
                "mean_reward": sum(rewards) / len(rewards) if rewards else None,
                "pass_rate": stats["pass_rate"],
                "pass_at_k": stats["pass_at_k"],
                "share_no_signal": _signal(members)["share_no_signal"],
            }
        )
    return rows


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _judge_usage(usage: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
    models = []
    total_cost: float | None = 0.0
    for model, counts in sorted(usage.items()):
        price = price_for(model)
        cost = None if price is None else price.cost(Usage.from_dict(counts))
        if cost is None:
            total_cost = None
        elif total_cost is not None:
            total_cost += cost
        models.append({"model": model, **dict(counts), "cost_usd": cost})
    return {"per_model": models, "total_cost_usd": total_cost if models else 0.0}


def _section(meta: dict[str, Any], key: str) -> dict[str, Any]:
    """``meta[key]`` when it is an object; run.json is a file people edit, and a bare string there is not one."""
    value = meta.get(key)
    return value if isinstance(value, dict) else {}


def _run_section(data: RunData) -> dict[str, Any]:
    meta = data.meta
    model = _section(meta, "model")
    return {
        "name": data.name,
        "path": str(data.path),
        "model": model.get("name") or ", ".join(data.sampled_models) or None,
        "simulated": bool(model.get("simulated")),
        "sampling": model.get("params"),
        "tasks": _section(meta, "tasks").get("source"),
        "grader": {
            "name": data.grader_name,
            "type": data.grader_type,
            "sha256": _section(meta, "grader").get("sha256"),
        },
        "rft_kit_version": meta.get("rft_kit_version"),
    }


def _single(data: RunData) -> dict[str, Any]:
    items = list(data.items.values())
    threshold = data.pass_threshold
    rewards = [r for i in items for r in i.rewards.values()]
    scored = len(data.scored_rewards)
    passes = _pass_stats(items, threshold)
    histograms = {data.grader_name or "reward": histogram(data.scored_rewards, bins=BINS)}
    sub_graders = {}
    for name, values in sorted(data.sub_scored.items()):
        histograms[f"{data.grader_name}.{name}" if data.grader_name else name] = histogram(values, bins=BINS)
        sub_graders[name] = {"mean": sum(values) / len(values), "n": len(values)}
    timing = [
        {
            "grader": grader,
            "n": len(values),
            "mean_ms": sum(values) / len(values),
            "p95_ms": _percentile(values, 0.95),
            "max_ms": max(values),
            "total_s": sum(values) / 1000,
        }
        for grader, values in sorted(data.durations_by_grader.items())
        if values
    ]
    return {
        "counts": {
            "items": len(items),
            "samples": data.samples,
            "graded": data.graded,
            "scored": scored,
            "grading_errors": data.graded - scored,
            "sampling_errors": sum(data.sample_errors.values()),
            "unreadable_lines": data.bad_lines,
        },
        "pass_threshold": threshold,
        "summary": {
            "mean_reward": sum(rewards) / len(rewards) if rewards else None,
            "mean_scored_reward": sum(data.scored_rewards) / scored if scored else None,
            "pass_rate": passes["pass_rate"],
            "error_rate": (data.graded - scored) / data.graded if data.graded else None,
        },
        "pass_at_k": passes["pass_at_k"],
        "mean_at_k": passes["mean_at_k"],
        "learning_signal": _signal(items),
        "histogram_bins": [round(i / BINS, 4) for i in range(BINS + 1)],
        "reward_histograms": histograms,
        "sub_graders": sub_graders,
        "breakdown": {
            "template": _breakdown(items, threshold, "template"),
            "difficulty": _breakdown(items, threshold, "difficulty"),
        },
        "errors": {
            "grading": dict(data.grade_errors.most_common()),
            "grading_examples": data.error_examples,
            "sampling": dict(data.sample_errors.most_common()),
            "sampling_retries": data.sample_retries,
        },
        "agentic": _agentic(data),
        "judge_usage": _judge_usage(data.judge_usage),
        "position_consistency": (
            {
                "judged": data.pairwise_judged,
                "inconsistent": data.position_inconsistent,
                "rate": 1 - data.position_inconsistent / data.pairwise_judged,
            }
            if data.pairwise_judged
            else None
        ),
        "sampling_usage": {
            "prompt_tokens": data.sample_prompt_tokens,
            "completion_tokens": data.sample_completion_tokens,
            "mean_latency_ms": sum(data.latencies_ms) / len(data.latencies_ms) if data.latencies_ms else None,
            "p95_latency_ms": _percentile(data.latencies_ms, 0.95),
        },
        "grader_timing": {
            "per_grader": timing,
            "slowest_samples": [{"key": key, "duration_ms": ms} for ms, key in data.slowest],
        },
        "items": [
            {
                "id": i.item_id,
                "template": i.template,
                "difficulty": i.difficulty,
                "samples": len(i.rewards),
                "passed": i.passed(threshold),
                "errors": len(i.rewards) - len(i.scored),
                "mean_reward": i.mean_reward,
                "variance": population_variance(list(i.rewards.values())),
            }
            for i in sorted(items, key=lambda i: i.item_id)
        ],
    }


def _item_pass_fraction(item: ItemStats, threshold: float) -> float | None:
    return item.passed(threshold) / len(item.scored) if item.scored else None


def _interval(differences: list[float]) -> dict[str, Any] | None:
    if not differences:
        return None
    return paired_bootstrap(differences, resamples=BOOTSTRAP_RESAMPLES, seed=BOOTSTRAP_SEED).to_dict()


def _agentic(data: RunData) -> dict[str, Any] | None:
    rewards = {(i.item_id, index): r for i in data.items.values() for index, r in i.rewards.items()}
    return agentic_section(data.episodes, rewards)


def _comparison(run: RunData, base: RunData) -> dict[str, Any]:
    shared = sorted(set(run.items) & set(base.items))
    reward_diffs = [run.items[i].mean_reward - base.items[i].mean_reward for i in shared]
    pass_diffs: list[float] = []
    flipped: dict[str, list[dict[str, Any]]] = {"pass_to_fail": [], "fail_to_pass": []}
    for item_id in shared:
        now = _item_pass_fraction(run.items[item_id], run.pass_threshold)
        before = _item_pass_fraction(base.items[item_id], base.pass_threshold)
        if now is None or before is None:
            continue
        pass_diffs.append(now - before)
        if (now >= 0.5) != (before >= 0.5):
            direction = "fail_to_pass" if now >= 0.5 else "pass_to_fail"
            flipped[direction].append({"id": item_id, "baseline_pass_rate": before, "pass_rate": now})
    sub_names = sorted(set(run.sub_scored) | set(base.sub_scored))
    per_sub: dict[str, Any] = {}
    for name in sub_names:
        diffs = []
        for item_id in shared:
            now_subs = run.items[item_id].sub_rewards.get(name, {})
            base_subs = base.items[item_id].sub_rewards.get(name, {})
            if now_subs and base_subs:
                diffs.append(sum(now_subs.values()) / len(now_subs) - sum(base_subs.values()) / len(base_subs))
        run_values, base_values = run.sub_scored.get(name, []), base.sub_scored.get(name, [])
        per_sub[name] = {
            "mean": sum(run_values) / len(run_values) if run_values else None,
            "baseline_mean": sum(base_values) / len(base_values) if base_values else None,
            "delta": _interval(diffs),
        }
    now_k = _pass_stats([run.items[i] for i in shared], run.pass_threshold)["pass_at_k"]
    base_k = _pass_stats([base.items[i] for i in shared], base.pass_threshold)["pass_at_k"]
    pass_at_k = {
        k: {"value": now_k.get(k), "baseline": base_k.get(k), "delta": _delta(now_k.get(k), base_k.get(k))}
        for k in sorted(set(now_k) & set(base_k), key=int)
    }
    errors_now = Counter(run.grade_errors)
    errors_before = Counter(base.grade_errors)
    return {
        "baseline": {"name": base.name, "path": str(base.path), "model": _run_section(base)["model"]},
        "paired_items": len(shared),
        "only_in_run": len(set(run.items) - set(base.items)),
        "only_in_baseline": len(set(base.items) - set(run.items)),
        "mean_reward_delta": _interval(reward_diffs),
        "pass_rate_delta": _interval(pass_diffs),
        "pass_at_k": pass_at_k,
        "sub_graders": per_sub,
        "flipped": {
            "pass_to_fail_count": len(flipped["pass_to_fail"]),
            "fail_to_pass_count": len(flipped["fail_to_pass"]),
            "pass_to_fail": flipped["pass_to_fail"][:_FLIPPED_SHOWN],
            "fail_to_pass": flipped["fail_to_pass"][:_FLIPPED_SHOWN],
        },
        "grading_errors": {
            kind: {"value": errors_now.get(kind, 0), "baseline": errors_before.get(kind, 0)}
            for kind in sorted(set(errors_now) | set(errors_before))
        },
        "agentic": agentic_comparison(_agentic(run), _agentic(base)),
        "bootstrap": {
            "resamples": BOOTSTRAP_RESAMPLES,
            "seed": BOOTSTRAP_SEED,
            "confidence": 0.95,
            "paired_by": "item",
        },
    }


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def build_report(run: RunData, baseline: RunData | None = None) -> dict[str, Any]:
    """The report dict (the content of report.json) of ``run``, compared with ``baseline`` when given."""
    report: dict[str, Any] = {
        "report_version": 1,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "generated_by": f"rft-kit {__version__}",
        "run": _run_section(run),
    }
    report.update(_single(run))
    report["comparison"] = None if baseline is None else _comparison(run, baseline)
    return report
