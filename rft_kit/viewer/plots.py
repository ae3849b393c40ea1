"""The run page's charts: the report's own SVG charts (:mod:`rft_kit.report.svg`), served as image files."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..report.svg import bar_chart, histogram_chart, interval_chart

__all__ = ["plots"]


def plots(report: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Chart name -> (title, SVG text) for a report dict."""
    out: dict[str, tuple[str, str]] = {}
    edges = report.get("histogram_bins") or []
    for n, (name, counts) in enumerate((report.get("reward_histograms") or {}).items()):
        if len(edges) == len(counts) + 1:
            out[f"reward-{n}"] = (f"reward: {name}", histogram_chart(counts, edges, str(name)))
    pass_at_k = report.get("pass_at_k") or {}
    if pass_at_k:
        out["pass-at-k"] = (
            "pass@k",
            bar_chart([f"pass@{k}" for k in pass_at_k], list(pass_at_k.values()), "pass@k (unbiased estimator)"),
        )
    comparison = report.get("comparison") or {}
    labels, intervals = [], []
    candidates = [
        ("mean reward", comparison.get("mean_reward_delta")),
        ("pass rate", comparison.get("pass_rate_delta")),
    ]
    candidates += [(f"sub: {n}", s.get("delta")) for n, s in (comparison.get("sub_graders") or {}).items()]
    for label, interval in candidates:
        if interval:
            labels.append(label)
            intervals.append((interval["mean"], interval["low"], interval["high"]))
    if labels:
        out["deltas"] = ("deltas vs baseline", interval_chart(labels, intervals, "Deltas with 95% bootstrap intervals"))
    return out
