"""A fake fine-tuning API for the tests of ``rft export openai --submit`` and ``rft job``: files and scripted jobs.

Served by a real :class:`~rft_kit.local_openai.LocalServer` given :func:`fine_tuning_routes` (those routes exist on
that test server only). ``POST /v1/fine_tuning/jobs`` checks the request as the hosted API does before accepting it:
required fields, known method type, files that exist and were uploaded with ``purpose="fine-tune"``, a
reinforcement grader of an accepted type with ``multi.graders`` as a name map and no local-only fields, and the
training rows themselves. Every accepted request is recorded in ``FineTuningStore.create_requests``.

Jobs do not train anything. A created job follows a fixed script: each retrieve moves it one state on
(``validating_files`` -> ``queued`` -> ``running`` -> ``succeeded``), and its events hold one ``metrics`` event per
step in the shape docs/hosted-semantics.md describes (rewards rise smoothly from 0.2 towards 0.8, deterministic for
a given job). A bad training file makes the job ``failed`` with the first problem.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from rft_kit.errors import ConfigError
from rft_kit.export.issues import Issues
from rft_kit.export.rows import check_row
from rft_kit.graders.registry import get_spec
from rft_kit.graders.validate import validate_grader_config
from rft_kit.local_openai.errors import ApiError
from rft_kit.local_openai.multipart import FormFile
from rft_kit.local_openai.routes import Request, Response, RouteHandler
from rft_kit.local_openai.state import ServerState

__all__ = ["FineTuningStore", "fine_tuning_routes"]

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


# -- routes ------------------------------------------------------------------------------------------------------------
METHODS: Final = ("supervised", "dpo", "reinforcement")
_LOCAL_ONLY: Final = ("rft_options", "cases", "check")
_JOB_FIELDS: Final = frozenset(
    {
        "model",
        "training_file",
        "validation_file",
        "hyperparameters",
        "suffix",
        "seed",
        "metadata",
        "method",
        "integrations",
    }
)


def _bad(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code="invalid_request_error" if param is None else None)


def _check_file(store: FineTuningStore, file_id: Any, param: str) -> bytes:
    if not isinstance(file_id, str) or not file_id:
        raise _bad(f"Missing required parameter: '{param}'.", param)
    stored = store.get_file(file_id)
    if stored is None:
        raise _bad(f"Invalid file id {file_id!r}: no such file was uploaded.", param)
    if stored.purpose != "fine-tune":
        raise _bad(
            f"File {file_id} was uploaded with purpose {stored.purpose!r}; fine-tuning needs 'fine-tune'.", param
        )
    return stored.content


def _check_grader(grader: Any, param: str) -> None:
    if not isinstance(grader, Mapping):
        raise _bad(f"Invalid type for '{param}': expected an object.", param)
    if grader.get("type") == "multi":
        subs = grader.get("graders")
        if not isinstance(subs, Mapping):
            raise _bad(f"Invalid type for '{param}.graders': expected an object.", f"{param}.graders")
        for key, sub in subs.items():
            # A single grader sent as `graders` lands here: its fields look like map entries (openai-java #647).
            if not isinstance(sub, Mapping):
                raise _bad(
                    f"Invalid type for 'graders.{key}': expected an object, but got a {type(sub).__name__} instead.",
                    f"{param}.graders.{key}",
                )
            _check_local_only(sub, f"{param}.graders.{key}")
    _check_local_only(grader, param)
    try:
        validate_grader_config(grader, placement="rft")
    except ConfigError as exc:
        at = f"{param}.{exc.path}" if exc.path else param
        raise _bad(f"Invalid grader: {exc.detail}", at) from None


def _check_local_only(grader: Mapping[str, Any], param: str) -> None:
    for key in _LOCAL_ONLY:
        if key in grader:
            raise _bad(f"Unrecognized request argument supplied: {param}.{key}", f"{param}.{key}")
    type_ = grader.get("type")
    try:
        hosted = get_spec(type_).hosted
    except ConfigError:
        hosted = False
    if not hosted:
        raise _bad(f"Invalid grader type {type_!r} (not a grader type of the hosted API).", f"{param}.type")


def _check_response_format(value: Any) -> None:
    param = "method.reinforcement.response_format"
    if value is None:
        return
    inner = value.get("json_schema") if isinstance(value, Mapping) else None
    if not isinstance(value, Mapping) or value.get("type") != "json_schema" or not isinstance(inner, Mapping):
        raise _bad("response_format must be {type: json_schema, json_schema: {name, schema, strict}}.", param)
    if not isinstance(inner.get("name"), str) or not isinstance(inner.get("schema"), Mapping):
        raise _bad("response_format.json_schema needs a name and a schema object.", f"{param}.json_schema")


def _check_method(method: Any) -> None:
    if method is None:
        return
    if not isinstance(method, Mapping) or method.get("type") not in METHODS:
        got = method.get("type") if isinstance(method, Mapping) else method
        raise _bad(f"Invalid value for 'method.type': {got!r}; expected one of {', '.join(METHODS)}.", "method.type")
    if method["type"] != "reinforcement":
        return
    reinforcement = method.get("reinforcement")
    if not isinstance(reinforcement, Mapping) or "grader" not in reinforcement:
        raise _bad("Missing required parameter: 'method.reinforcement.grader'.", "method.reinforcement.grader")
    _check_grader(reinforcement["grader"], "method.reinforcement.grader")
    _check_response_format(reinforcement.get("response_format"))
    hyper = reinforcement.get("hyperparameters")
    if hyper is not None and not isinstance(hyper, Mapping):
        raise _bad("method.reinforcement.hyperparameters must be an object.", "method.reinforcement.hyperparameters")


def _first_row_problem(content: bytes) -> tuple[int, str | None]:
    rows = 0
    issues = Issues(max_errors=1)
    for number, raw in enumerate(content.splitlines(), start=1):
        if not raw.strip():
            continue
        rows += 1
        try:
            row = json.loads(raw)
        except ValueError:
            return rows, f"line {number} is not valid JSON"
        check_row(row, f"line {number}", issues)
        if issues.error_count:
            return rows, str(issues.errors[0])
    return rows, None if rows else "the file is empty"


def create_job(store: FineTuningStore, request: Request) -> Response:
    """Check a ``fine_tuning.jobs.create`` request and start a scripted job."""
    body = request.body
    unknown = sorted(set(body) - _JOB_FIELDS)
    if unknown:
        raise _bad(f"Unrecognized request argument supplied: {unknown[0]}", unknown[0])
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _bad("Missing required parameter: 'model'.", "model")
    train = _check_file(store, body.get("training_file"), "training_file")
    if body.get("validation_file") is not None:
        _check_file(store, body["validation_file"], "validation_file")
    suffix = body.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or len(suffix) > 64):
        raise _bad("suffix must be a string of at most 64 characters.", "suffix")
    metadata = body.get("metadata")
    if metadata is not None and (not isinstance(metadata, Mapping) or len(metadata) > 16):
        raise _bad("metadata must be an object of at most 16 pairs.", "metadata")
    _check_method(body.get("method"))
    rows, problem = _first_row_problem(train)
    job = store.create_job(body, train_rows=rows, problem=problem)
    return Response(job)


def retrieve_job(store: FineTuningStore, request: Request) -> Response:
    """The job, moved one scripted state on."""
    job = store.advance(request.params["job_id"])
    if job is None:
        raise ApiError(404, f"Could not find fine-tune: {request.params['job_id']}", code="fine_tune_not_found")
    return Response(job)


def _page(items: list[dict[str, Any]], request: Request) -> Response:
    after = request.query.get("after")
    if after is not None:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    try:
        limit = int(request.query.get("limit", "20"))
    except ValueError:
        raise _bad("limit must be an integer.", "limit") from None
    if not 1 <= limit <= 1000:
        raise _bad("limit must be between 1 and 1000.", "limit")
    return Response({"object": "list", "data": items[:limit], "has_more": len(items) > limit})


def _job(store: FineTuningStore, request: Request) -> Any:
    job = store.get(request.params["job_id"])
    if job is None:
        raise ApiError(404, f"Could not find fine-tune: {request.params['job_id']}", code="fine_tune_not_found")
    return job


def list_events(store: FineTuningStore, request: Request) -> Response:
    """The job's events, newest first (as the hosted API lists them)."""
    return _page(list(reversed(_job(store, request).events)), request)


def list_checkpoints(store: FineTuningStore, request: Request) -> Response:
    """The job's checkpoints (one per validation step), newest first."""
    return _page(list(reversed(_job(store, request).checkpoints)), request)


PURPOSES: Final = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")


def upload_file(store: FineTuningStore, request: Request) -> Response:
    """Store an uploaded file; the form needs ``file`` and a known ``purpose``."""
    upload = request.body.get("file")
    purpose = request.body.get("purpose")
    if not isinstance(upload, FormFile):
        raise ApiError(400, "Missing required parameter: 'file' (send multipart/form-data).", param="file")
    if purpose not in PURPOSES:
        raise ApiError(
            400, f"Invalid value for 'purpose': {purpose!r}; expected one of {', '.join(PURPOSES)}.", param="purpose"
        )
    if purpose == "fine-tune" and not upload.filename.endswith(".jsonl"):
        raise ApiError(
            400, f"Invalid file format for Fine-Tuning API. Must be .jsonl, got {upload.filename!r}.", param="file"
        )
    stored = store.add_file(upload.filename, str(purpose), upload.content)
    return Response(stored.to_object())


def retrieve_file(store: FineTuningStore, request: Request) -> Response:
    """Describe one uploaded file, or 404."""
    stored = store.get_file(request.params["file_id"])
    if stored is None:
        raise ApiError(404, f"No such File object: {request.params['file_id']}", param="id")
    return Response(stored.to_object())


def fine_tuning_routes(store: FineTuningStore) -> dict[tuple[str, str], RouteHandler]:
    """The fake API's routes, answering from ``store`` (pass them to ``LocalServer(routes=...)``)."""

    def bind(handler: Callable[[FineTuningStore, Request], Response]) -> RouteHandler:
        def route(state: ServerState, request: Request) -> Response:
            return handler(store, request)

        return route

    return {
        ("POST", "/v1/files"): bind(upload_file),
        ("GET", "/v1/files/{file_id}"): bind(retrieve_file),
        ("POST", "/v1/fine_tuning/jobs"): bind(create_job),
        ("GET", "/v1/fine_tuning/jobs/{job_id}"): bind(retrieve_job),
        ("GET", "/v1/fine_tuning/jobs/{job_id}/events"): bind(list_events),
        ("GET", "/v1/fine_tuning/jobs/{job_id}/checkpoints"): bind(list_checkpoints),
    }
