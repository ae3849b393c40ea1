"""The report's headline figures as rich tables in the terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from .agentic import comparison_rows, summary_rows
from .format import fmt, fmt_ci, fmt_pct

__all__ = ["print_summary"]


def print_summary(report: Mapping[str, Any], console: Console | None = None) -> None:
    """Print the summary (and the comparison, when there is one) of a report dict."""
    console = console or Console()
    run, s = report["run"], report["summary"]
    if run["simulated"]:
        console.print(
            "[bold yellow]The model is SIMULATED[/] (a rule-based solver or agent on a local server), not an LLM."
        )
    table = Table(title=f"report: {run['name']} · model {run['model']} · grader {run['grader']['name']}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("items / graded samples", f"{report['counts']['items']} / {report['counts']['graded']}")
    table.add_row("mean reward (errors as 0)", fmt(s["mean_reward"]))
    table.add_row(f"pass rate (reward ≥ {report['pass_threshold']:g})", fmt_pct(s["pass_rate"]))
    for k, value in report["pass_at_k"].items():
        table.add_row(f"pass@{k}", fmt(value))
    table.add_row("grading error rate", fmt_pct(s["error_rate"]))
    for kind, count in report["errors"]["grading"].items():
        table.add_row(f"  {kind}", str(count))
    signal = report["learning_signal"]
    table.add_row("no learning signal", f"{signal['no_signal']} items ({fmt_pct(signal['share_no_signal'])})")
    consistency = report.get("position_consistency")
    if consistency:
        table.add_row(
            "pairwise position consistency",
            f"{fmt_pct(consistency['rate'])} ({consistency['inconsistent']} of {consistency['judged']} flipped)",
        )
    cost = report["judge_usage"]["total_cost_usd"]
    if report["judge_usage"]["per_model"]:
        table.add_row("judge cost", "unknown" if cost is None else f"${cost:.4f}")
    console.print(table)
    section = report.get("agentic")
    if section:
        episodes = Table(title="agentic episodes")
        episodes.add_column("metric")
        episodes.add_column("value", justify="right")
        for label, value in summary_rows(section):
            episodes.add_row(label, value)
        console.print(episodes)
    cmp = report["comparison"]
    if not cmp:
        return
    delta = Table(title=f"vs baseline {cmp['baseline']['name']} ({cmp['paired_items']} paired items, 95% bootstrap CI)")
    delta.add_column("metric")
    delta.add_column("delta [95% CI]", justify="right")
    delta.add_row("mean reward", fmt_ci(cmp["mean_reward_delta"]))
    delta.add_row("pass rate", fmt_ci(cmp["pass_rate_delta"], pct=True))
    for name, sub in cmp["sub_graders"].items():
        delta.add_row(f"sub-grader {name}", fmt_ci(sub["delta"]))
    for k, v in cmp["pass_at_k"].items():
        delta.add_row(f"pass@{k}", fmt(v["delta"], signed=True))
    flipped = cmp["flipped"]
    delta.add_row("flipped", f"{flipped['fail_to_pass_count']} fail→pass, {flipped['pass_to_fail_count']} pass→fail")
    console.print(delta)
    if cmp.get("agentic"):
        versus = Table(title="agentic episodes vs baseline")
        for header in ("metric", "baseline", "this run", "delta"):
            versus.add_column(header, justify="left" if header == "metric" else "right")
        for row in comparison_rows(cmp["agentic"]):
            versus.add_row(*row)
        console.print(versus)
