"""report.html: one self-contained page (inline CSS and SVG; no scripts, fonts, images or links to fetch).

A Content-Security-Policy of ``default-src 'none'`` makes the browser refuse any request the page might still make,
so the file behaves the same offline as online.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, Final

from .agentic import comparison_rows, summary_rows, tool_rows
from .format import fmt, fmt_ci, fmt_pct
from .svg import bar_chart, histogram_chart, interval_chart

__all__ = ["render_html"]

_CSS: Final = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1100px;color:#1d2733;
line-height:1.4;padding:0 16px}
h1{margin-bottom:4px}h2{border-bottom:1px solid #d5dbe1;padding-bottom:4px;margin-top:32px}
.meta{color:#52606d;font-size:14px}
.sim{background:#fff4ce;border:1px solid #e0b400;padding:8px 12px;border-radius:6px;margin:12px 0;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #d5dbe1;border-radius:8px;padding:10px 14px;min-width:130px}
.card .v{font-size:22px;font-weight:600}.card .k{font-size:12px;color:#52606d}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th,td{border:1px solid #d5dbe1;padding:4px 8px;text-align:right}th{background:#f2f5f8}
td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.up{color:#2e8b57;font-weight:600}.down{color:#c0392b;font-weight:600}
details{margin:8px 0}
"""
_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'"
_ITEMS_SHOWN: Final = 300


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, cls: str = "") -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _card(label: str, value: str) -> str:
    return f'<div class="card"><div class="v">{escape(value)}</div><div class="k">{escape(label)}</div></div>'


def _tasks_text(source: Mapping[str, Any] | None) -> str:
    if not source:
        return "(unknown source)"
    if "path" in source:
        return str(source["path"])
    difficulty = source.get("difficulty") or "default difficulty"
    return f"{source.get('n')} from template {source.get('template')} (seed {source.get('seed')}, {difficulty})"


def _header(report: Mapping[str, Any]) -> str:
    run = report["run"]
    grader = run["grader"]
    parts = [f"<h1>Iteration report: {escape(str(run['name']))}</h1>"]
    parts.append(
        f'<div class="meta">model <b>{escape(str(run["model"]))}</b> · grader <b>{escape(str(grader["name"]))}</b> '
        f"({escape(str(grader['type']))}) · tasks {escape(_tasks_text(run['tasks']))} · "
        f"{escape(report['generated_by'])}, {escape(report['generated_at'])}</div>"
    )
    if run["simulated"]:
        parts.append(
            '<div class="sim">The model in this run is SIMULATED (a rule-based rft-kit solver or agent on a local '
            "server), not a language model. The numbers show the pipeline working, not any model's ability.</div>"
        )
    return "".join(parts)


def _summary(report: Mapping[str, Any]) -> str:
    s, counts, signal = report["summary"], report["counts"], report["learning_signal"]
    ks = list(report["pass_at_k"])
    cards = [
        _card("mean reward (errors as 0)", fmt(s["mean_reward"])),
        _card(f"pass rate (reward ≥ {report['pass_threshold']:g})", fmt_pct(s["pass_rate"])),
        _card("pass@1", fmt(report["pass_at_k"].get("1"))),
    ]
    if len(ks) > 1:
        cards.append(_card(f"pass@{ks[-1]}", fmt(report["pass_at_k"][ks[-1]])))
    cards += [
        _card("grading error rate", fmt_pct(s["error_rate"])),
        _card("items with no learning signal", fmt_pct(signal["share_no_signal"])),
        _card("items / samples", f"{counts['items']} / {counts['graded']}"),
    ]
    return '<h2 id="summary">Summary</h2><div class="cards">' + "".join(cards) + "</div>"


def _delta_cell(interval: Mapping[str, Any] | None, pct: bool = False) -> str:
    if interval is None:
        return "n/a"
    text = escape(fmt_ci(interval, pct=pct))
    if interval["excludes_zero"]:
        cls = "up" if interval["mean"] > 0 else "down"
        return f'<span class="{cls}">{text}</span>'
    return text


def _comparison(report: Mapping[str, Any]) -> str:
    cmp = report["comparison"]
    if not cmp:
        return ""
    base = cmp["baseline"]
    boot = cmp["bootstrap"]
    parts = [
        '<h2 id="comparison">Against the baseline</h2>',
        f'<div class="meta">baseline <b>{escape(str(base["name"]))}</b> (model {escape(str(base["model"]))}); '
        f"{cmp['paired_items']} items in both runs; deltas are run − baseline with {boot['confidence']:.0%} "
        f"paired bootstrap intervals ({boot['resamples']} resamples over items, seed {boot['seed']}).</div>",
    ]
    rows = [
        ["mean reward", _delta_cell(cmp["mean_reward_delta"])],
        ["pass rate", _delta_cell(cmp["pass_rate_delta"], pct=True)],
    ]
    for name, sub in cmp["sub_graders"].items():
        rows.append([f"sub-grader {escape(name)}", _delta_cell(sub["delta"])])
    parts.append(_table(["metric", "delta [95% CI]"], rows))
    labels, intervals = [], []
    for label, interval in [("mean reward", cmp["mean_reward_delta"]), ("pass rate", cmp["pass_rate_delta"])] + [
        (f"sub: {n}", s["delta"]) for n, s in cmp["sub_graders"].items()
    ]:
        if interval is not None:
            labels.append(label)
            intervals.append((interval["mean"], interval["low"], interval["high"]))
    if labels:
        parts.append(interval_chart(labels, intervals, "Deltas with 95% bootstrap intervals"))
    k_rows = [
        [f"pass@{k}", fmt(v["baseline"]), fmt(v["value"]), fmt(v["delta"], signed=True)]
        for k, v in cmp["pass_at_k"].items()
    ]
    parts.append(_table(["metric", "baseline", "this run", "delta"], k_rows))
    flipped = cmp["flipped"]
    parts.append(
        f"<h3>Items that flipped</h3><p>{flipped['fail_to_pass_count']} fail → pass, "
        f"{flipped['pass_to_fail_count']} pass → fail (an item passes when at least half its samples pass).</p>"
    )
    for key, title in (("fail_to_pass", "fail → pass"), ("pass_to_fail", "pass → fail")):
        if flipped[key]:
            rows = [[escape(f["id"]), fmt_pct(f["baseline_pass_rate"]), fmt_pct(f["pass_rate"])] for f in flipped[key]]
            parts.append(f"<details open><summary>{title}</summary>")
            parts.append(_table(["item", "baseline pass rate", "pass rate"], rows) + "</details>")
    if cmp["grading_errors"]:
        rows = [[escape(k), v["baseline"], v["value"]] for k, v in cmp["grading_errors"].items()]
        parts.append("<h3>Grading errors by kind</h3>" + _table(["kind", "baseline", "this run"], rows))
    return "".join(parts)


def _distributions(report: Mapping[str, Any]) -> str:
    edges = report["histogram_bins"]
    charts = [histogram_chart(counts, edges, name) for name, counts in report["reward_histograms"].items()]
    parts = ['<h2 id="distributions">Reward distributions (scored samples)</h2><div class="charts">', *charts, "</div>"]
    if report["sub_graders"]:
        rows = [[escape(n), fmt(s["mean"]), s["n"]] for n, s in report["sub_graders"].items()]
        parts.append(_table(["sub-grader", "mean", "samples"], rows))
    return "".join(parts)


def _pass_at_k(report: Mapping[str, Any]) -> str:
    ks = list(report["pass_at_k"])
    rows = [[f"k = {k}", fmt(report["pass_at_k"][k]), fmt(report["mean_at_k"].get(k))] for k in ks]
    labels = [f"pass@{k}" for k in ks]
    chart = bar_chart(labels, [report["pass_at_k"][k] for k in ks], "pass@k (unbiased estimator)")
    return (
        '<h2 id="passk">pass@k and mean@k</h2><div class="charts">'
        + _table(["k", "pass@k", "mean@k"], rows)
        + chart
        + "</div><p class='meta'>pass@k = mean over items of 1 − C(n−c, k)/C(n, k) (n scored samples, c passing); "
        "mean@k = mean over items of the mean reward of samples 0..k−1.</p>"
    )


def _signal(report: Mapping[str, Any]) -> str:
    s = report["learning_signal"]
    edges = [round(i * 0.025, 4) for i in range(len(s["variance_histogram"]) + 1)]
    rows = [
        ["items with ≥ 2 samples", s["items_with_several_samples"]],
        ["no learning signal (all samples same reward)", f"{s['no_signal']} ({fmt_pct(s['share_no_signal'])})"],
        ["… all at the same non-zero reward (too easy)", s["no_signal_all_same_max"]],
        ["… all zero (too hard, or a broken grader)", s["no_signal_all_zero"]],
        ["mean per-item reward variance", fmt(s["mean_item_variance"])],
    ]
    return (
        '<h2 id="signal">Per-item variance and learning signal</h2><div class="charts">'
        + _table(["", "value"], rows)
        + histogram_chart(s["variance_histogram"], edges, "per-item reward variance").replace(
            ">reward</text>", ">variance</text>"
        )
        + "</div>"
    )


def _breakdown(report: Mapping[str, Any]) -> str:
    parts = ['<h2 id="breakdown">Breakdown by template and difficulty</h2>']
    for key in ("template", "difficulty"):
        rows_data = report["breakdown"][key]
        if not rows_data:
            continue
        kmax = max((list(r["pass_at_k"])[-1] for r in rows_data if r["pass_at_k"]), key=int, default="1")
        rows = [
            [
                escape(r["value"]),
                r["items"],
                r["samples"],
                fmt(r["mean_reward"]),
                fmt_pct(r["pass_rate"]),
                fmt(r["pass_at_k"].get(kmax)),
                fmt_pct(r["share_no_signal"]),
            ]
            for r in rows_data
        ]
        headers = [key, "items", "samples", "mean reward", "pass rate", f"pass@{kmax}", "no signal"]
        chart = bar_chart(
            [r["value"] for r in rows_data], [r["mean_reward"] for r in rows_data], f"mean reward by {key}"
        )
        parts.append(f'<div class="charts">{_table(headers, rows)}{chart}</div>')
    return "".join(parts)


def _errors(report: Mapping[str, Any]) -> str:
    errors, counts = report["errors"], report["counts"]
    graded = counts["graded"] or 1
    rows = [
        [f"grading: {escape(kind)}", n, fmt_pct(n / graded), escape(errors["grading_examples"].get(kind, ""))]
        for kind, n in errors["grading"].items()
    ]
    rows += [
        [f"sampling: {escape(kind)}", n, fmt_pct(n / max(1, counts["samples"])), ""]
        for kind, n in errors["sampling"].items()
    ]
    body = _table(["kind", "count", "rate", "example"], rows) if rows else "<p>No errors.</p>"
    return (
        f'<h2 id="errors">Errors by kind</h2>{body}<p class="meta">Sampling retries: {errors["sampling_retries"]}. '
        "A grading error gives reward 0 (as hosted) but is not counted as a wrong answer in pass rates.</p>"
    )


def _usage(report: Mapping[str, Any]) -> str:
    judge, sampling = report["judge_usage"], report["sampling_usage"]
    parts = ['<h2 id="usage">Judge tokens and cost; sampling usage</h2>']
    if judge["per_model"]:
        rows = [
            [
                escape(m["model"]),
                m.get("prompt_tokens", 0),
                m.get("completion_tokens", 0),
                m.get("total_tokens", 0),
                "unknown price" if m["cost_usd"] is None else f"${m['cost_usd']:.4f}",
            ]
            for m in judge["per_model"]
        ]
        parts.append(_table(["judge model", "prompt tokens", "completion tokens", "total", "cost"], rows))
        total = judge["total_cost_usd"]
        parts.append(
            f"<p>Judge cost: {'unknown (a model has no known price)' if total is None else f'${total:.4f}'}.</p>"
        )
    else:
        parts.append("<p>No model-graded samples (no judge tokens).</p>")
    rows = [
        ["prompt tokens", sampling["prompt_tokens"]],
        ["completion tokens", sampling["completion_tokens"]],
        ["mean latency", fmt(sampling["mean_latency_ms"], suffix=" ms")],
        ["p95 latency", fmt(sampling["p95_latency_ms"], suffix=" ms")],
    ]
    parts.append(_table(["sampling", "value"], rows))
    return "".join(parts)


def _timing(report: Mapping[str, Any]) -> str:
    timing = report["grader_timing"]
    rows = [
        [
            escape(g["grader"]),
            g["n"],
            fmt(g["mean_ms"], suffix=" ms"),
            fmt(g["p95_ms"], suffix=" ms"),
            fmt(g["max_ms"], suffix=" ms"),
            fmt(g["total_s"], suffix=" s"),
        ]
        for g in timing["per_grader"]
    ]
    slow = [[escape(s["key"]), fmt(s["duration_ms"], suffix=" ms")] for s in timing["slowest_samples"]]
    return (
        '<h2 id="timing">Slowest graders</h2>'
        + _table(["grader", "samples", "mean", "p95", "max", "total"], rows)
        + "<details><summary>slowest samples</summary>"
        + _table(["sample", "grading time"], slow)
        + "</details>"
    )


def _items(report: Mapping[str, Any]) -> str:
    items = sorted(report["items"], key=lambda i: -i["variance"])[:_ITEMS_SHOWN]
    rows = [
        [
            escape(i["id"]),
            escape(i["template"]),
            escape(i["difficulty"]),
            i["samples"],
            i["passed"],
            i["errors"],
            fmt(i["mean_reward"]),
            fmt(i["variance"]),
        ]
        for i in items
    ]
    note = (
        f" (the {_ITEMS_SHOWN} with the highest variance; all are in report.json)"
        if len(report["items"]) > _ITEMS_SHOWN
        else ""
    )
    return (
        f'<h2 id="items">Items</h2><details><summary>{len(report["items"])} items{note}</summary>'
        + _table(["item", "template", "difficulty", "samples", "passed", "errors", "mean reward", "variance"], rows)
        + "</details>"
    )


def _agentic(report: Mapping[str, Any]) -> str:
    section = report.get("agentic")
    if not section:
        return ""
    esc = [[escape(c) for c in row] for row in summary_rows(section)]
    reasons = list(section["stop_reasons"])
    chart = bar_chart(reasons, [section["stop_reason_shares"][r] for r in reasons], "share of episodes by stop reason")
    parts = [
        '<h2 id="agentic">Agentic episodes</h2>',
        f'<div class="charts">{_table(["metric", "value"], esc)}{chart}</div>',
    ]
    if section["tools"]:
        rows = [[escape(c) for c in row] for row in tool_rows(section)]
        parts.append("<h3>Tool calls and errors by tool</h3>" + _table(["tool", "calls", "errors", "error rate"], rows))
    cmp = (report.get("comparison") or {}).get("agentic")
    if cmp:
        rows = [[escape(c) for c in row] for row in comparison_rows(cmp)]
        parts.append(
            "<h3>Episodes against the baseline</h3>" + _table(["metric", "baseline", "this run", "delta"], rows)
        )
    return "".join(parts)


def render_html(report: Mapping[str, Any]) -> str:
    """The whole report.html text."""
    title = escape(f"rft-kit report: {report['run']['name']}")
    sections = [
        _header(report),
        _summary(report),
        _comparison(report),
        _agentic(report),
        _distributions(report),
        _pass_at_k(report),
        _signal(report),
        _breakdown(report),
        _errors(report),
        _usage(report),
        _timing(report),
        _items(report),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>" + "".join(sections) + "</body></html>\n"
    )
