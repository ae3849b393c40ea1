"""The agentic view of a report: what the episodes of a rollout did (turns, tool calls, stop reasons, tool errors by
tool, tokens), and the same figures against a baseline.

:class:`EpisodeStats` is filled while collect.py streams samples.jsonl (a few numbers per episode, never the
trajectories); :func:`agentic_section` and :func:`agentic_comparison` turn it into report.json's ``agentic`` and
``comparison.agentic`` objects. A run without episodes has ``agentic: null``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EpisodeStats",
    "agentic_comparison",
    "agentic_section",
    "comparison_rows",
    "summary_rows",
    "tool_rows",
]


@dataclass
class EpisodeStats:
    """Per-episode counts of one run."""

    turns: list[int] = field(default_factory=list)
    tool_calls: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    stop_reasons: Counter[str] = field(default_factory=Counter)
    calls_by_tool: Counter[str] = field(default_factory=Counter)
    errors_by_tool: Counter[str] = field(default_factory=Counter)
    errors_by_kind: Counter[str] = field(default_factory=Counter)
    stop_reason_of: dict[tuple[str, int], str] = field(default_factory=dict)

    @property
    def episodes(self) -> int:
        return len(self.turns)

    def add(self, record: Mapping[str, Any]) -> None:
        """Count one samples.jsonl record that is an episode (it has a ``trajectory``)."""
        tools = record.get("output_tools")
        calls = [c for c in tools if isinstance(c, Mapping)] if isinstance(tools, list) else []
        self.turns.append(_int(record.get("turns")))
        self.tool_calls.append(len(calls))
        usage = record.get("usage") if isinstance(record.get("usage"), Mapping) else {}
        assert isinstance(usage, Mapping)
        self.tokens.append(_int(usage.get("total_tokens")))
        reason = str(record.get("stop_reason") or "unknown")
        self.stop_reasons[reason] += 1
        self.stop_reason_of[(str(record.get("item_id")), _int(record.get("sample_index")))] = reason
        for call in calls:
            function = call.get("function") if isinstance(call.get("function"), Mapping) else {}
            assert isinstance(function, Mapping)
            self.calls_by_tool[str(function.get("name") or "(no name)")] += 1
        errors = record.get("tool_errors") if isinstance(record.get("tool_errors"), Mapping) else {}
        assert isinstance(errors, Mapping)
        for counts, total in (
            (errors.get("by_tool"), self.errors_by_tool),
            (errors.get("by_kind"), self.errors_by_kind),
        ):
            for name, count in counts.items() if isinstance(counts, Mapping) else ():
                total[str(name)] += _int(count)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dist(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"mean": None, "p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {
        "mean": sum(ordered) / len(ordered),
        "p50": ordered[len(ordered) // 2],
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "max": ordered[-1],
    }


def _mean_reward_by_stop(stats: EpisodeStats, rewards: Mapping[tuple[str, int], float]) -> dict[str, Any]:
    sums: dict[str, float] = {}
    counts: Counter[str] = Counter()
    for key, reason in stats.stop_reason_of.items():
        if key in rewards:
            sums[reason] = sums.get(reason, 0.0) + rewards[key]
            counts[reason] += 1
    return {reason: sums[reason] / counts[reason] for reason in sorted(counts)}


def agentic_section(stats: EpisodeStats, rewards: Mapping[tuple[str, int], float]) -> dict[str, Any] | None:
    """report.json's ``agentic`` object (``None`` without episodes). ``rewards``: reward by (item id, index)."""
    if not stats.episodes:
        return None
    calls = sum(stats.tool_calls)
    errors = sum(stats.errors_by_tool.values())
    tools = [
        {
            "tool": name,
            "calls": stats.calls_by_tool[name],
            "errors": stats.errors_by_tool[name],
            "error_rate": stats.errors_by_tool[name] / stats.calls_by_tool[name] if stats.calls_by_tool[name] else None,
        }
        for name in sorted(
            set(stats.calls_by_tool) | set(stats.errors_by_tool), key=lambda n: (-stats.calls_by_tool[n], n)
        )
    ]
    return {
        "episodes": stats.episodes,
        "turns": _dist(stats.turns),
        "tool_calls": {**_dist(stats.tool_calls), "total": calls},
        "tokens": {**_dist(stats.tokens), "total": sum(stats.tokens)},
        "stop_reasons": dict(stats.stop_reasons.most_common()),
        "stop_reason_shares": {k: v / stats.episodes for k, v in stats.stop_reasons.most_common()},
        "mean_reward_by_stop_reason": _mean_reward_by_stop(stats, rewards),
        "tool_errors": {
            "total": errors,
            "rate": errors / calls if calls else None,
            "by_kind": dict(stats.errors_by_kind.most_common()),
        },
        "tools": tools,
    }


def _delta(now: float | None, before: float | None) -> dict[str, Any]:
    return {"value": now, "baseline": before, "delta": None if now is None or before is None else now - before}


def agentic_comparison(run: Mapping[str, Any] | None, base: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The same figures side by side: run, baseline and run − baseline (``None`` unless both have episodes)."""
    if run is None or base is None:
        return None
    reasons = sorted(set(run["stop_reasons"]) | set(base["stop_reasons"]))
    base_tools = {t["tool"]: t for t in base["tools"]}
    run_tools = {t["tool"]: t for t in run["tools"]}
    return {
        "mean_turns": _delta(run["turns"]["mean"], base["turns"]["mean"]),
        "mean_tool_calls": _delta(run["tool_calls"]["mean"], base["tool_calls"]["mean"]),
        "mean_tokens": _delta(run["tokens"]["mean"], base["tokens"]["mean"]),
        "tool_error_rate": _delta(run["tool_errors"]["rate"], base["tool_errors"]["rate"]),
        "stop_reason_shares": {
            r: _delta(run["stop_reason_shares"].get(r, 0.0), base["stop_reason_shares"].get(r, 0.0)) for r in reasons
        },
        "tool_error_rate_by_tool": {
            name: _delta((run_tools.get(name) or {}).get("error_rate"), (base_tools.get(name) or {}).get("error_rate"))
            for name in sorted(set(run_tools) | set(base_tools))
        },
    }


# ------------------------------------------------------------------------------------------ rows for the renderings
def summary_rows(section: Mapping[str, Any]) -> list[list[str]]:
    """``[metric, value]`` rows of the agentic section (shared by HTML, Markdown and the terminal)."""
    from .format import fmt, fmt_pct

    turns, calls, tokens = section["turns"], section["tool_calls"], section["tokens"]
    rows = [
        ["episodes", str(section["episodes"])],
        ["turns per episode (mean / p50 / p95 / max)", _four(turns)],
        ["tool calls per episode (mean / p50 / p95 / max)", _four(calls)],
        ["tokens per episode (mean / p95)", f"{fmt(tokens['mean'], digits=0)} / {tokens['p95']}"],
        ["tool error rate (errors / calls)", f"{fmt_pct(section['tool_errors']['rate'])} "
         f"({section['tool_errors']['total']} / {calls['total']})"],
    ]  # fmt: skip
    for reason, count in section["stop_reasons"].items():
        mean = section["mean_reward_by_stop_reason"].get(reason)
        rows.append(
            [f"stop: {reason}", f"{count} ({fmt_pct(section['stop_reason_shares'][reason])}), mean reward {fmt(mean)}"]
        )
    for kind, count in section["tool_errors"]["by_kind"].items():
        rows.append([f"tool errors: {kind}", str(count)])
    return rows


def _four(dist: Mapping[str, Any]) -> str:
    from .format import fmt

    return f"{fmt(dist['mean'], digits=2)} / {dist['p50']} / {dist['p95']} / {dist['max']}"


def tool_rows(section: Mapping[str, Any]) -> list[list[str]]:
    """``[tool, calls, errors, error rate]`` rows, most-called tool first."""
    from .format import fmt_pct

    return [[t["tool"], str(t["calls"]), str(t["errors"]), fmt_pct(t["error_rate"])] for t in section["tools"]]


def comparison_rows(cmp: Mapping[str, Any]) -> list[list[str]]:
    """``[metric, baseline, this run, delta]`` rows of ``comparison.agentic``."""
    from .format import fmt, fmt_pct

    def row(label: str, entry: Mapping[str, Any], pct: bool = False, digits: int = 2) -> list[str]:
        if pct:
            delta = entry["delta"]
            return [label, fmt_pct(entry["baseline"]), fmt_pct(entry["value"]),
                    "n/a" if delta is None else f"{100 * delta:+.1f} pp"]  # fmt: skip
        return [label, fmt(entry["baseline"], digits=digits), fmt(entry["value"], digits=digits),
                fmt(entry["delta"], digits=digits, signed=True)]  # fmt: skip

    rows = [
        row("turns per episode", cmp["mean_turns"]),
        row("tool calls per episode", cmp["mean_tool_calls"]),
        row("tokens per episode", cmp["mean_tokens"], digits=0),
        row("tool error rate", cmp["tool_error_rate"], pct=True),
    ]
    rows += [row(f"stop: {r}", e, pct=True) for r, e in cmp["stop_reason_shares"].items()]
    rows += [row(f"tool error rate: {t}", e, pct=True) for t, e in cmp["tool_error_rate_by_tool"].items()]
    return rows
