"""Pull a fine-tuning job's status, events and metrics into a run folder for the iteration report.

``RUN_DIR/training_metrics.jsonl`` holds one record per training step (from the job's ``metrics`` events,
docs/hosted-semantics.md: metrics events)::

    {"step", "total_steps", "created_at", "train_reward_mean", "valid_reward_mean",
     "graders": {name: {"type", "train_reward_mean", "valid_reward_mean"}},
     "errors": {name: {"train_sample_parse_error_mean": ..., ...}},
     "reasoning_tokens_mean", "timing": {...}}

Both the nested ``scores`` block and the legacy flat fields (``train_mean_reward``, ``full_valid_mean_reward``) are
read. ``events.jsonl`` keeps every event as returned, ``checkpoints.jsonl`` the checkpoints (one per validation
step; the hosted service keeps the best three) and ``job.json`` the job object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io.escape import json_text

if TYPE_CHECKING:
    import openai

__all__ = ["job_events", "metrics_record", "pull_metrics"]


def job_events(client: openai.OpenAI, job_id: str) -> list[dict[str, Any]]:
    """Every event of the job, oldest first (the API lists newest first; the SDK pages through them)."""
    events = [
        event.model_dump(mode="json", warnings=False)
        for event in client.fine_tuning.jobs.list_events(job_id, limit=100)
    ]
    return sorted(events, key=lambda e: (e.get("created_at") or 0, str(e.get("id"))))


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def metrics_record(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """One step's metrics from a ``metrics`` event, or ``None`` for any other event."""
    data = event.get("data")
    if not isinstance(data, Mapping) or (event.get("type") != "metrics" and "step" not in data):
        return None
    scores = _mapping(data.get("scores"))
    graders: dict[str, Any] = {}
    for entry in scores.get("graders") or []:
        if isinstance(entry, Mapping) and entry.get("name") is not None:
            graders[str(entry["name"])] = {k: v for k, v in entry.items() if k != "name"}
    errors: dict[str, Any] = {}
    error_block = _mapping(data.get("errors"))
    for entry in error_block.get("graders") or []:
        if isinstance(entry, Mapping) and entry.get("name") is not None:
            errors[str(entry["name"])] = {k: v for k, v in entry.items() if k not in ("name", "type")}
    samples = _mapping(_mapping(data.get("usage")).get("samples"))
    return {
        "step": data.get("step"),
        "total_steps": data.get("total_steps"),
        "created_at": event.get("created_at"),
        "train_reward_mean": _first(scores.get("train_reward_mean"), data.get("train_mean_reward")),
        "valid_reward_mean": _first(scores.get("valid_reward_mean"), data.get("full_valid_mean_reward")),
        "graders": graders,
        "errors": errors,
        "reasoning_tokens_mean": _first(samples.get("train_reasoning_tokens_mean"), data.get("reasoning_tokens_mean")),
        "timing": data.get("timing"),
    }


def _write_jsonl(path: Path, records: Iterable[Any]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json_text(record) + "\n")


def pull_metrics(client: openai.OpenAI, job_id: str, run_dir: Path) -> dict[str, Any]:
    """Write ``job.json``, ``events.jsonl``, ``checkpoints.jsonl`` and ``training_metrics.jsonl`` under ``run_dir``.

    Returns:
        A summary: status, counts, last training reward and best validation reward.
    """
    job = client.fine_tuning.jobs.retrieve(job_id).model_dump(mode="json", warnings=False)
    events = job_events(client, job_id)
    checkpoints = [
        c.model_dump(mode="json", warnings=False) for c in client.fine_tuning.jobs.checkpoints.list(job_id, limit=100)
    ]
    steps = [r for r in map(metrics_record, events) if r is not None]
    steps.sort(key=lambda r: (r["step"] is None, r["step"] or 0))
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "job.json").write_text(json_text(job, indent=2) + "\n", encoding="utf-8")
    _write_jsonl(run_dir / "events.jsonl", events)
    _write_jsonl(run_dir / "training_metrics.jsonl", steps)
    _write_jsonl(run_dir / "checkpoints.jsonl", sorted(checkpoints, key=lambda c: c.get("step_number") or 0))
    valid = [s["valid_reward_mean"] for s in steps if s["valid_reward_mean"] is not None]
    return {
        "job_id": job_id,
        "status": job.get("status"),
        "events": len(events),
        "steps": len(steps),
        "checkpoints": len(checkpoints),
        "last_train_reward_mean": steps[-1]["train_reward_mean"] if steps else None,
        "best_valid_reward_mean": max(valid) if valid else None,
        "run_dir": str(run_dir),
    }
