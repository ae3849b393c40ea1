"""``/v1/fine_tuning/jobs``: create, retrieve, list, cancel, events and checkpoints of (scripted) jobs.

``POST`` checks the request as the hosted API does before accepting it: required fields, known method type, files
that exist and were uploaded with ``purpose="fine-tune"``, a reinforcement grader of an accepted type with
``multi.graders`` as a name map and no local-only fields, and the training rows themselves. Every accepted request is
recorded in ``state.fine_tuning.create_requests`` for tests. The job then follows the script of
:mod:`~rft_kit.local_openai.fine_tuning_store`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from ...errors import ConfigError
from ...export.issues import Issues
from ...export.rows import check_row
from ...graders.registry import get_spec
from ...graders.validate import validate_grader_config
from ..errors import ApiError
from ..state import ServerState
from .base import Request, Response

__all__ = ["cancel_job", "create_job", "list_checkpoints", "list_events", "list_jobs", "retrieve_job"]

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


def _check_file(state: ServerState, file_id: Any, param: str) -> bytes:
    if not isinstance(file_id, str) or not file_id:
        raise _bad(f"Missing required parameter: '{param}'.", param)
    stored = state.fine_tuning.get_file(file_id)
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


def create_job(state: ServerState, request: Request) -> Response:
    """Check a ``fine_tuning.jobs.create`` request and start a scripted job."""
    body = request.body
    unknown = sorted(set(body) - _JOB_FIELDS)
    if unknown:
        raise _bad(f"Unrecognized request argument supplied: {unknown[0]}", unknown[0])
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise _bad("Missing required parameter: 'model'.", "model")
    train = _check_file(state, body.get("training_file"), "training_file")
    if body.get("validation_file") is not None:
        _check_file(state, body["validation_file"], "validation_file")
    suffix = body.get("suffix")
    if suffix is not None and (not isinstance(suffix, str) or len(suffix) > 64):
        raise _bad("suffix must be a string of at most 64 characters.", "suffix")
    metadata = body.get("metadata")
    if metadata is not None and (not isinstance(metadata, Mapping) or len(metadata) > 16):
        raise _bad("metadata must be an object of at most 16 pairs.", "metadata")
    _check_method(body.get("method"))
    rows, problem = _first_row_problem(train)
    job = state.fine_tuning.create_job(body, train_rows=rows, problem=problem)
    return Response(job)


def retrieve_job(state: ServerState, request: Request) -> Response:
    """The job, moved one scripted state on."""
    job = state.fine_tuning.advance(request.params["job_id"])
    if job is None:
        raise ApiError(404, f"Could not find fine-tune: {request.params['job_id']}", code="fine_tune_not_found")
    return Response(job)


def cancel_job(state: ServerState, request: Request) -> Response:
    """Cancel a job that has not finished."""
    job = state.fine_tuning.cancel(request.params["job_id"])
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


def list_jobs(state: ServerState, request: Request) -> Response:
    """Every job, newest first, paginated with ``after``/``limit``."""
    return _page(state.fine_tuning.list_jobs(), request)


def _job(state: ServerState, request: Request) -> Any:
    job = state.fine_tuning.get(request.params["job_id"])
    if job is None:
        raise ApiError(404, f"Could not find fine-tune: {request.params['job_id']}", code="fine_tune_not_found")
    return job


def list_events(state: ServerState, request: Request) -> Response:
    """The job's events, newest first (as the hosted API lists them)."""
    return _page(list(reversed(_job(state, request).events)), request)


def list_checkpoints(state: ServerState, request: Request) -> Response:
    """The job's checkpoints (one per validation step), newest first."""
    return _page(list(reversed(_job(state, request).checkpoints)), request)
