"""The local server's files and fine-tuning jobs: what was uploaded and created, and the scripted training run.

Jobs do not train anything. A created job follows a fixed script so that clients (``rft job status``, ``rft job
metrics``) can be tested end to end: each retrieve moves it one state on (``validating_files`` -> ``queued`` ->
``running`` -> ``succeeded``), and its events hold one ``metrics`` event per step in the shape of OPENAI_GRADERS.md
5.5 (rewards rise smoothly from 0.2 towards 0.8, deterministic for a given job). Training files are checked when the
job is created, as the hosted service does; a bad file makes the job ``failed`` with the first problem.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["FineTuningStore", "StoredFile"]

_STATES: Final = ("validating_files", "queued", "running", "succeeded")
MAX_SCRIPTED_STEPS: Final = 20


@dataclass
class StoredFile:
    """An uploaded file."""

    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def to_object(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


@dataclass
class _Job:
    obj: dict[str, Any]
    events: list[dict[str, Any]]
    checkpoints: list[dict[str, Any]]
    state_index: int = 0


@dataclass
class FineTuningStore:
    """Thread-safe store of files, jobs and every create request received (for tests to inspect)."""

    files: dict[str, StoredFile] = field(default_factory=dict)
    jobs: dict[str, _Job] = field(default_factory=dict)
    create_requests: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}-local{next(self._ids):06d}"

    def add_file(self, filename: str, purpose: str, content: bytes) -> StoredFile:
        with self._lock:
            stored = StoredFile(self._next_id("file"), filename, purpose, content, int(time.time()))
            self.files[stored.id] = stored
            return stored

    def get_file(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self.files.get(file_id)

    def list_files(self) -> list[StoredFile]:
        with self._lock:
            return list(self.files.values())

    def create_job(self, request: Mapping[str, Any], *, train_rows: int, problem: str | None) -> dict[str, Any]:
        """Store a job for an already validated create request; ``problem`` fails it (bad training file)."""
        with self._lock:
            self.create_requests.append(dict(request))
            job_id = self._next_id("ftjob")
            now = int(time.time())
            method = dict(request.get("method") or {})
            obj: dict[str, Any] = {
                "id": job_id,
                "object": "fine_tuning.job",
                "created_at": now,
                "error": None,
                "fine_tuned_model": None,
                "finished_at": None,
                "hyperparameters": None,
                "model": request["model"],
                "organization_id": "org-local",
                "result_files": [],
                "seed": request.get("seed") if request.get("seed") is not None else 42,
                "status": _STATES[0],
                "trained_tokens": None,
                "training_file": request["training_file"],
                "validation_file": request.get("validation_file"),
                "estimated_finish": None,
                "integrations": request.get("integrations"),
                "metadata": request.get("metadata"),
                "method": method,
                "user_provided_suffix": request.get("suffix"),
            }
            if problem is not None:
                obj["status"] = "failed"
                obj["error"] = {"code": "invalid_training_file", "message": problem, "param": "training_file"}
                events = _numbered(
                    job_id, [_event(job_id, now, "error", f"Training file validation failed: {problem}")]
                )
                self.jobs[job_id] = _Job(obj, events, [])
                return dict(obj)
            events, checkpoints = _script(job_id, now, obj, train_rows)
            self.jobs[job_id] = _Job(obj, events, checkpoints)
            return dict(obj)

    def advance(self, job_id: str) -> dict[str, Any] | None:
        """The job object, moved one state on (the scripted progress a poller sees)."""
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return None
            if job.obj["status"] in _STATES[:-1]:
                job.state_index += 1
                job.obj["status"] = _STATES[job.state_index]
                if job.obj["status"] == "succeeded":
                    job.obj["finished_at"] = int(time.time())
                    suffix = job.obj.get("user_provided_suffix") or "rft"
                    job.obj["fine_tuned_model"] = f"ft:{job.obj['model']}:local:{suffix}:{job_id[-6:]}"
            return dict(job.obj)

    def get(self, job_id: str) -> _Job | None:
        with self._lock:
            return self.jobs.get(job_id)

    def cancel(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return None
            if job.obj["status"] not in ("succeeded", "failed"):
                job.obj["status"] = "cancelled"
            return dict(job.obj)

    def list_jobs(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(j.obj) for j in reversed(self.jobs.values())]


def _event(
    job_id: str, created_at: int, level: str, message: str, data: Any = None, type_: str = "message"
) -> dict[str, Any]:
    return {
        "id": "",  # numbered by _numbered once the script is complete
        "object": "fine_tuning.job.event",
        "created_at": created_at,
        "level": level,
        "message": message,
        "data": data,
        "type": type_,
    }


def _sub_graders(grader: Mapping[str, Any]) -> list[tuple[str, str]]:
    if grader.get("type") == "multi" and isinstance(grader.get("graders"), Mapping):
        return [(str(g.get("name") or k), str(g.get("type"))) for k, g in grader["graders"].items()]
    return [(str(grader.get("name") or grader.get("type")), str(grader.get("type")))]


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _script(
    job_id: str, start: int, obj: Mapping[str, Any], train_rows: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    reinforcement = (obj.get("method") or {}).get("reinforcement") or {}
    hyper = reinforcement.get("hyperparameters") or {}
    epochs = _int_or(hyper.get("n_epochs"), 2)
    batch = _int_or(hyper.get("batch_size"), 4)
    total = max(1, min(MAX_SCRIPTED_STEPS, epochs * math.ceil(max(train_rows, 1) / batch)))
    interval = _int_or(hyper.get("eval_interval"), max(1, total // 4))
    graders = _sub_graders(reinforcement.get("grader") or {})
    events = [
        _event(job_id, start, "info", "Validating training file"),
        _event(job_id, start + 1, "info", "Files validated, moving job to queued state"),
        _event(job_id, start + 2, "info", "Fine-tuning job started"),
    ]
    checkpoints: list[dict[str, Any]] = []
    for step in range(1, total + 1):
        t = start + 2 + step
        progress = step / total
        train = round(0.2 + 0.6 * progress - 0.05 * math.sin(step), 4)
        valid = round(0.2 + 0.55 * progress, 4) if step % interval == 0 or step == total else None
        per_grader = [
            {
                "name": name,
                "type": type_,
                "train_reward_mean": round(min(1.0, train + 0.03 * i), 4),
                "valid_reward_mean": None if valid is None else round(min(1.0, valid + 0.03 * i), 4),
            }
            for i, (name, type_) in enumerate(graders)
        ]
        errors = [
            {
                "name": name,
                "type": type_,
                "train_sample_parse_error_mean": round(0.1 * (1 - progress), 4),
                "train_sample_parse_error_count": max(0, round(batch * 0.1 * (1 - progress))),
                "train_invalid_variable_error_mean": 0.0,
                "train_invalid_variable_error_count": 0,
                "train_other_error_mean": 0.0,
                "train_other_error_count": 0,
            }
            for name, type_ in graders
        ]
        data = {
            "step": step,
            "total_steps": total,
            "scores": {"train_reward_mean": train, "valid_reward_mean": valid, "graders": per_grader},
            "errors": {"graders": errors},
            "usage": {"samples": {"train_reasoning_tokens_mean": 400 + 10 * step}},
            "timing": {"step": {"sampling": 12.0, "training": 8.0, "eval": 0.0 if valid is None else 5.0}},
            "train_mean_reward": train,
            "full_valid_mean_reward": valid,
        }
        message = f"Step {step}/{total} , train mean reward={train:.2f}"
        if valid is not None:
            message += f", full validation mean reward={valid:.2f}"
            checkpoints.append(
                {
                    "id": f"ftckpt-{job_id[-6:]}-{step}",
                    "object": "fine_tuning.job.checkpoint",
                    "created_at": t,
                    "fine_tuned_model_checkpoint": f"ft:{obj['model']}:local::{job_id[-6:]}:ckpt-step-{step}",
                    "fine_tuning_job_id": job_id,
                    "metrics": {"step": step, "full_valid_mean_reward": valid},
                    "step_number": step,
                }
            )
        events.append(_event(job_id, t, "info", message, data, "metrics"))
    events.append(_event(job_id, start + total + 3, "info", "The job has successfully completed"))
    return _numbered(job_id, events), checkpoints


def _numbered(job_id: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for index, event in enumerate(events):
        event["id"] = f"ftevent-{job_id.rsplit('-', 1)[-1]}-{index:04d}"
    return events
