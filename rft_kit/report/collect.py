"""Reading a run folder into per-item aggregates, in one streaming pass over each file.

Memory grows with the number of items and samples' rewards (a few numbers each), not with the records' text.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io.jsonl import iter_jsonl
from .agentic import EpisodeStats

__all__ = ["PASS_EPSILON", "ItemStats", "RunData", "collect_run"]

PASS_EPSILON = 1e-9


@dataclass
class ItemStats:
    """One item's samples as graded."""

    item_id: str
    template: str = "(none)"
    difficulty: str = "(none)"
    rewards: dict[int, float] = field(default_factory=dict)
    """reward by sample index, errors counted as 0 (what a trainer receives)"""
    scored: dict[int, float] = field(default_factory=dict)
    """reward by sample index, scored samples only"""
    sub_rewards: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))

    def passed(self, threshold: float) -> int:
        """Scored samples at or above ``threshold`` (within 1e-9: weighted sums like 0.15 + ... land on 0.99999...)."""
        return sum(r >= threshold - PASS_EPSILON for r in self.scored.values())

    @property
    def mean_reward(self) -> float:
        return sum(self.rewards.values()) / len(self.rewards) if self.rewards else 0.0


@dataclass
class RunData:
    """What a report needs from one run folder."""

    path: Path
    meta: dict[str, Any]
    items: dict[str, ItemStats]
    grader_name: str = ""
    grader_type: str = ""
    pass_threshold: float = 1.0
    graded: int = 0
    scored_rewards: list[float] = field(default_factory=list)
    sub_scored: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    grade_errors: Counter[str] = field(default_factory=Counter)
    error_examples: dict[str, str] = field(default_factory=dict)
    durations_by_grader: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    slowest: list[tuple[float, str]] = field(default_factory=list)
    judge_usage: dict[str, dict[str, int]] = field(default_factory=dict)
    samples: int = 0
    sample_errors: Counter[str] = field(default_factory=Counter)
    sample_prompt_tokens: int = 0
    sample_completion_tokens: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    sample_retries: int = 0
    sampled_models: Counter[str] = field(default_factory=Counter)
    episodes: EpisodeStats = field(default_factory=EpisodeStats)
    bad_lines: int = 0
    # pairwise judges: grades that carry metadata.position_inconsistent, and how many of them flipped with the order
    pairwise_judged: int = 0
    position_inconsistent: int = 0

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.path.resolve().name)


_SLOWEST_KEPT = 10


def _read_meta(path: Path) -> dict[str, Any]:
    run_json = path / "run.json"
    if not run_json.exists():
        return {"name": path.resolve().name}
    try:
        data = json.loads(run_json.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"run.json is not valid JSON ({exc})", source=str(run_json)) from None
    return data if isinstance(data, dict) else {"name": path.resolve().name}


def _threshold(meta: dict[str, Any]) -> float:
    # run.json is a file people edit: `grader` may be a bare path string instead of {path, sha256, config}
    grader = meta.get("grader")
    config = (grader.get("config") if isinstance(grader, dict) else None) or {}
    value = config.get("pass_threshold", 1.0) if isinstance(config, dict) else 1.0
    return float(value) if isinstance(value, int | float) else 1.0


def _add_usage(total: dict[str, dict[str, int]], usage: dict[str, Any]) -> None:
    for model, counts in (usage.get("per_model") or {}).items():
        slot = total.setdefault(str(model), {})
        for key, value in (counts or {}).items():
            if isinstance(value, int | float):
                slot[key] = slot.get(key, 0) + int(value)


def _read_tasks(data: RunData, tasks: Path) -> None:
    for line in iter_jsonl(tasks):
        if line.error is not None or not isinstance(line.value, dict) or line.value.get("id") is None:
            data.bad_lines += 1
            continue
        meta = line.value.get("metadata") or {}
        item_id = str(line.value["id"])
        data.items[item_id] = ItemStats(
            item_id, str(meta.get("template", "(none)")), str(meta.get("difficulty", "(none)"))
        )


def _read_samples(data: RunData, samples: Path) -> None:
    for line in iter_jsonl(samples):
        record = line.value
        if line.error is not None or not isinstance(record, dict):
            data.bad_lines += 1
            continue
        data.samples += 1
        if isinstance(record.get("trajectory"), list):  # an episode of `rft rollout`: several calls, retries counted
            data.episodes.add(record)
            data.sample_retries += int(record.get("retries") or 0)
        else:
            data.sample_retries += max(0, int(record.get("attempts") or 1) - 1)
        error = record.get("error")
        if error:
            data.sample_errors[str(error.get("status") or error.get("kind") or "unknown")] += 1
            continue
        data.sampled_models[str(record.get("model"))] += 1
        usage = record.get("usage") or {}
        data.sample_prompt_tokens += int(usage.get("prompt_tokens") or 0)
        data.sample_completion_tokens += int(usage.get("completion_tokens") or 0)
        if isinstance(record.get("latency_ms"), int | float):
            data.latencies_ms.append(float(record["latency_ms"]))


def _read_grades(data: RunData, grades: Path) -> None:
    for line in iter_jsonl(grades):
        record = line.value
        if line.error is not None or not isinstance(record, dict) or "reward" not in record:
            data.bad_lines += 1
            continue
        data.graded += 1
        grader = record.get("grader") or {}
        data.grader_name = data.grader_name or str(grader.get("name") or "")
        data.grader_type = data.grader_type or str(grader.get("type") or "")
        item_id = str(record.get("item_id") or record.get("key"))
        item = data.items.get(item_id)
        if item is None:
            item = data.items[item_id] = ItemStats(item_id)
        index = int(record.get("sample_index") or 0)
        reward = float(record["reward"])
        item.rewards[index] = reward
        duration = float(record.get("duration_ms") or 0.0)
        data.durations_by_grader[data.grader_name or "grader"].append(duration)
        data.slowest.append((duration, str(record.get("key") or f"{item_id}#{index}")))
        if len(data.slowest) > 4 * _SLOWEST_KEPT:
            data.slowest = sorted(data.slowest, reverse=True)[:_SLOWEST_KEPT]
        if record.get("token_usage"):
            _add_usage(data.judge_usage, record["token_usage"])
        if record.get("status") == "error":
            error = record.get("error") or {}
            kind = str(error.get("kind") or "internal")
            data.grade_errors[kind] += 1
            data.error_examples.setdefault(kind, str(error.get("message") or "")[:300])
            continue
        flipped = (record.get("metadata") or {}).get("position_inconsistent")
        if isinstance(flipped, bool):
            data.pairwise_judged += 1
            data.position_inconsistent += flipped
        item.scored[index] = reward
        data.scored_rewards.append(reward)
        for name, value in (record.get("sub_rewards") or {}).items():
            if isinstance(value, int | float):
                item.sub_rewards[name][index] = float(value)
                data.sub_scored[name].append(float(value))
    data.slowest = sorted(data.slowest, reverse=True)[:_SLOWEST_KEPT]


def collect_run(path: str | Path) -> RunData:
    """Read ``run.json`` (optional), ``tasks.jsonl`` (optional, for metadata), ``samples.jsonl`` (optional) and
    ``grades.jsonl`` (required) of a run folder.

    Raises:
        InputError: the folder has no grades.jsonl, or run.json is unreadable.
    """
    folder = Path(path)
    grades = folder / "grades.jsonl"
    if not grades.exists():
        raise InputError("no grades.jsonl in the run folder; run `rft grade` (or `rft run`) first", source=str(folder))
    meta = _read_meta(folder)
    data = RunData(path=folder, meta=meta, items={}, pass_threshold=_threshold(meta))
    if (folder / "tasks.jsonl").exists():
        _read_tasks(data, folder / "tasks.jsonl")
    if (folder / "samples.jsonl").exists():
        _read_samples(data, folder / "samples.jsonl")
    _read_grades(data, grades)
    # items never graded (no samples yet) would distort every per-item figure
    data.items = {k: v for k, v in data.items.items() if v.rewards}
    return data
