"""Statistics of a task set: size, difficulty mix, label balance, prompt lengths, duplicates.

Printed after ``rft generate`` and by ``rft stats tasks.jsonl``. Lengths are of the whole prompt (all messages),
in characters and in whitespace words (a tokenizer-free proxy that is stable across models).
"""

from __future__ import annotations

import hashlib
import statistics
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["format_stats", "prompt_text", "set_stats"]


def prompt_text(item: Mapping[str, Any]) -> str:
    """All message contents of an item joined by newlines (text parts only for multi-part content)."""
    texts = []
    for message in item.get("messages") or []:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return "\n".join(texts)


def _summary(values: Sequence[int]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "mean": round(statistics.fmean(ordered), 1),
        "median": float(statistics.median(ordered)),
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "max": ordered[-1],
    }


def _shares(counter: Counter[str], total: int) -> dict[str, dict[str, float]]:
    return {k: {"count": v, "share": round(v / total, 4)} for k, v in sorted(counter.items())}


def set_stats(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Statistics of a set of items (JSON-ready).

    Keys: ``items``, ``templates``, ``difficulty`` and ``labels`` (count and share per value; labels come from
    ``metadata.label``), ``prompt_chars`` and ``prompt_words`` (min/mean/median/p95/max), ``messages_per_item``,
    ``reference_fields`` (how many items carry each), ``with_tools``, ``duplicate_prompts`` (items whose prompt
    text repeats an earlier one exactly).
    """
    total = 0
    templates: Counter[str] = Counter()
    difficulty: Counter[str] = Counter()
    labels: Counter[str] = Counter()
    fields: Counter[str] = Counter()
    # compact columns: `rft generate` streams millions of items through here, and only these stay in memory
    chars = array("q")
    words = array("q")
    messages = array("q")
    seen: set[int] = set()
    duplicates = 0
    with_tools = 0
    for item in items:
        total += 1
        meta = item.get("metadata") or {}
        templates[str(meta.get("template", "?"))] += 1
        difficulty[str(meta.get("difficulty", "?"))] += 1
        if "label" in meta:
            labels[str(meta["label"])] += 1
        for key in item:
            if key not in ("id", "messages", "tools", "metadata"):
                fields[key] += 1
        with_tools += bool(item.get("tools"))
        text = prompt_text(item)
        chars.append(len(text))
        words.append(len(text.split()))
        messages.append(len(item.get("messages") or []))
        digest = int.from_bytes(
            hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
        )
        duplicates += digest in seen
        seen.add(digest)
    stats: dict[str, Any] = {"items": total}
    if not total:
        return stats
    stats.update(
        templates=_shares(templates, total),
        difficulty=_shares(difficulty, total),
        labels=_shares(labels, sum(labels.values())) if labels else {},
        prompt_chars=_summary(chars),
        prompt_words=_summary(words),
        messages_per_item=_summary(messages),
        reference_fields=dict(sorted(fields.items())),
        with_tools=with_tools,
        duplicate_prompts=duplicates,
    )
    return stats


def format_stats(stats: Mapping[str, Any]) -> str:
    """A short human-readable rendering of :func:`set_stats`."""
    lines = [f"items: {stats['items']}"]
    if not stats["items"]:
        return lines[0]
    for key in ("templates", "difficulty", "labels"):
        if stats.get(key):
            parts = ", ".join(f"{k} {v['count']} ({v['share']:.0%})" for k, v in stats[key].items())
            lines.append(f"{key}: {parts}")
    for key in ("prompt_words", "prompt_chars"):
        s = stats[key]
        lines.append(f"{key}: min {s['min']}, median {s['median']:g}, mean {s['mean']}, p95 {s['p95']}, max {s['max']}")
    lines.append(f"reference fields: {', '.join(f'{k} ({v})' for k, v in stats['reference_fields'].items())}")
    if stats["with_tools"]:
        lines.append(f"items with tools: {stats['with_tools']}")
    lines.append(f"duplicate prompts: {stats['duplicate_prompts']}")
    return "\n".join(lines)
