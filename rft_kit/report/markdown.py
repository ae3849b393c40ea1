"""report.md: the report's figures as Markdown tables (for pull requests and issue notes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .agentic import comparison_rows, summary_rows, tool_rows
from .format import fmt, fmt_ci, fmt_pct

__all__ = ["render_markdown"]


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _comparison(cmp: Mapping[str, Any]) -> list[str]:
    boot = cmp["bootstrap"]
    lines = [
        f"## Against the baseline: {cmp['baseline']['name']}",
        "",
        f"{cmp['paired_items']} paired items; run − baseline, {boot['confidence']:.0%} paired bootstrap intervals "
        f"({boot['resamples']} resamples, seed {boot['seed']}).",
        "",
    ]
    rows = [["mean reward", fmt_ci(cmp["mean_reward_delta"])], ["pass rate", fmt_ci(cmp["pass_rate_delta"], pct=True)]]
    rows += [[f"sub-grader {n}", fmt_ci(s["delta"])] for n, s in cmp["sub_graders"].items()]
    lines += _table(["metric", "delta [95% CI]"], rows)
    lines += _table(
        ["metric", "baseline", "this run", "delta"],
        [
            [f"pass@{k}", fmt(v["baseline"]), fmt(v["value"]), fmt(v["delta"], signed=True)]
            for k, v in cmp["pass_at_k"].items()
        ],
    )
    flipped = cmp["flipped"]
    lines += [
        f"Flipped items: {flipped['fail_to_pass_count']} fail → pass, {flipped['pass_to_fail_count']} pass → fail.",
        "",
    ]
    for key, title in (("fail_to_pass", "fail → pass"), ("pass_to_fail", "pass → fail")):
        if flipped[key]:
            lines.append(f"- {title}: " + ", ".join(f"`{f['id']}`" for f in flipped[key]))
    return [*lines, ""]


def _agentic(report: Mapping[str, Any]) -> list[str]:
    section = report.get("agentic")
    if not section:
        return []
    lines = ["## Agentic episodes", "", *_table(["metric", "value"], summary_rows(section))]
    if section["tools"]:
        lines += [
            "### Tool calls and errors by tool",
            "",
            *_table(["tool", "calls", "errors", "error rate"], tool_rows(section)),
        ]
    cmp = (report.get("comparison") or {}).get("agentic")
    if cmp:
        lines += [
            "### Episodes against the baseline",
            "",
            *_table(["metric", "baseline", "this run", "delta"], comparison_rows(cmp)),
        ]
    return lines


def render_markdown(report: Mapping[str, Any]) -> str:
    """The whole report.md text."""
    run, s = report["run"], report["summary"]
    lines = [f"# Iteration report: {run['name']}", ""]
    lines.append(
        f"Model `{run['model']}` · grader `{run['grader']['name']}` ({run['grader']['type']}) · "
        f"{report['generated_by']}, {report['generated_at']}"
    )
    lines.append("")
    if run["simulated"]:
        lines += [
            "> **The model in this run is SIMULATED** (a rule-based rft-kit solver or agent), not a language model.",
            "",
        ]
    signal = report["learning_signal"]
    lines += _table(
        ["metric", "value"],
        [
            ["items / graded samples", f"{report['counts']['items']} / {report['counts']['graded']}"],
            ["mean reward (errors as 0)", fmt(s["mean_reward"])],
            [f"pass rate (reward ≥ {report['pass_threshold']:g})", fmt_pct(s["pass_rate"])],
            *[[f"pass@{k}", fmt(v)] for k, v in report["pass_at_k"].items()],
            *[[f"mean@{k}", fmt(v)] for k, v in report["mean_at_k"].items()],
            ["grading error rate", fmt_pct(s["error_rate"])],
            ["items with no learning signal", f"{signal['no_signal']} ({fmt_pct(signal['share_no_signal'])})"],
            ["mean per-item variance", fmt(signal["mean_item_variance"])],
        ],
    )
    if report["comparison"]:
        lines += _comparison(report["comparison"])
    lines += _agentic(report)
    for key in ("template", "difficulty"):
        rows = [
            [r["value"], r["items"], fmt(r["mean_reward"]), fmt_pct(r["pass_rate"]), fmt_pct(r["share_no_signal"])]
            for r in report["breakdown"][key]
        ]
        if rows:
            lines += [f"## By {key}", "", *_table([key, "items", "mean reward", "pass rate", "no signal"], rows)]
    if report["sub_graders"]:
        rows = [[n, fmt(v["mean"]), v["n"]] for n, v in report["sub_graders"].items()]
        lines += ["## Sub-graders", "", *_table(["sub-grader", "mean", "samples"], rows)]
    errors = report["errors"]
    rows = [[f"grading: {k}", n] for k, n in errors["grading"].items()]
    rows += [[f"sampling: {k}", n] for k, n in errors["sampling"].items()]
    lines += ["## Errors by kind", "", *(_table(["kind", "count"], rows) if rows else ["No errors.", ""])]
    consistency = report.get("position_consistency")
    if consistency:
        lines += [
            "## Pairwise position consistency",
            "",
            f"{consistency['rate']:.1%} of {consistency['judged']} pairwise verdicts held in both orders "
            f"({consistency['inconsistent']} flipped with the order and were scored as ties).",
            "",
        ]
    judge = report["judge_usage"]
    if judge["per_model"]:
        rows = [
            [m["model"], m.get("total_tokens", 0), "unknown" if m["cost_usd"] is None else f"${m['cost_usd']:.4f}"]
            for m in judge["per_model"]
        ]
        lines += ["## Judge usage", "", *_table(["model", "tokens", "cost"], rows)]
    timing = report["grader_timing"]["per_grader"]
    if timing:
        rows = [[g["grader"], g["n"], fmt(g["mean_ms"]), fmt(g["p95_ms"]), fmt(g["max_ms"])] for g in timing]
        lines += ["## Grader timing (ms)", "", *_table(["grader", "samples", "mean", "p95", "max"], rows)]
    return "\n".join(lines).rstrip() + "\n"
