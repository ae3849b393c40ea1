"""``rft export openai``: package an OpenAI (or Azure OpenAI) reinforcement fine-tuning job.

Writes ``train.jsonl``, ``valid.jsonl``, ``grader.json``, ``job.json`` (the exact ``fine_tuning.jobs.create``
arguments, file ids as ``upload:<file>`` placeholders until ``--submit`` fills them) and ``export_report.json``.
Nothing is written unless every check passes: rows, limits, hyperparameters, grader placement and options,
extension-grader compilation, template variables on every row, a local grading pass, and the SDK's own types.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from .._version import __version__
from ..errors import ConfigError
from ..graders.loading import build_grader, read_grader_file
from ..io.escape import has_surrogates, json_text
from .hosted_grader import hosted_grader
from .hyper import check_hyperparameters
from .issues import Issues
from .preflight import check_grader_runs, check_templates
from .response_format import load_response_format
from .rows import MAX_TRAIN_ROWS, MAX_VALID_ROWS, check_row, check_sizes
from .sdk_check import check_job_with_sdk
from .tasks import Row, read_tasks, split_rows

__all__ = ["DEFAULT_MODEL", "ExportResult", "OpenAIExportOptions", "export_openai", "upload_placeholder"]

DEFAULT_MODEL: Final = "o4-mini-2025-04-16"
KNOWN_RFT_MODELS: Final = ("o4-mini-2025-04-16", "gpt-5-2025-08-07")


def upload_placeholder(filename: str) -> str:
    """The stand-in for a file id in ``job.json`` before upload."""
    return f"upload:{filename}"


class JobFields(Protocol):
    """The export options that become top-level fields of ``job.json``."""

    model: str
    suffix: str | None
    seed: int
    metadata: dict[str, str]


def job_document(options: JobFields, reinforcement: dict[str, Any], grader_name: str) -> dict[str, Any]:
    """``job.json``: a reinforcement fine-tuning job on the (yet to be uploaded) train.jsonl and valid.jsonl."""
    job: dict[str, Any] = {
        "model": options.model,
        "training_file": upload_placeholder("train.jsonl"),
        "validation_file": upload_placeholder("valid.jsonl"),
        "method": {"type": "reinforcement", "reinforcement": reinforcement},
        "seed": options.seed,
        "metadata": {"rft_kit_version": __version__, "grader": grader_name[:512], **options.metadata},
    }
    if options.suffix is not None:
        job["suffix"] = options.suffix
    return job


@dataclass
class OpenAIExportOptions:
    """Settings of one export (the CLI flags).

    Attributes:
        valid: a validation JSONL; when ``None``, ``split`` of the tasks is held out.
        split: fraction of the tasks held out for validation when ``valid`` is not given.
        model: the base model.
        hyperparameters: ``method.reinforcement.hyperparameters``.
        response_format: a JSON file with a response_format or a bare JSON Schema.
        suffix, seed, metadata: job fields.
        azure: emit the Azure OpenAI variant (flat response_format; endpoint graders allowed).
        endpoint_url: Azure only: grade through an endpoint grader at this URL (``rft serve``) instead.
        endpoint_token: bearer token the endpoint grader sends.
        sample_size: rows graded locally before export.
    """

    valid: Path | None = None
    split: float = 0.1
    model: str = DEFAULT_MODEL
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    response_format: Path | None = None
    suffix: str | None = None
    seed: int = 42
    metadata: dict[str, str] = field(default_factory=dict)
    azure: bool = False
    endpoint_url: str | None = None
    endpoint_token: str | None = None
    sample_size: int = 20


@dataclass
class ExportResult:
    """What was written, and the warnings."""

    out_dir: Path
    job: dict[str, Any]
    grader: dict[str, Any]
    train_rows: int
    valid_rows: int
    graded_rows: int
    issues: Issues


def _encode(rows: list[Row]) -> bytes:
    return b"".join(json_text(row).encode("utf-8") + b"\n" for _, row in rows)


def _check_job_fields(options: OpenAIExportOptions, issues: Issues) -> None:
    if options.model not in KNOWN_RFT_MODELS:
        issues.warn("model", f"{options.model!r} is not a documented RFT base model ({', '.join(KNOWN_RFT_MODELS)})")
    if options.suffix is not None and not 0 < len(options.suffix) <= 64:
        issues.error("suffix", f"is {len(options.suffix)} characters; expected 1-64")
    if len(options.metadata) > 16:
        issues.error("metadata", f"has {len(options.metadata)} pairs; at most 16 are accepted")
    for key, value in options.metadata.items():
        if len(key) > 64:
            issues.error(f"metadata.{key[:20]}...", "keys are at most 64 characters")
        if not isinstance(value, str) or len(value) > 512:
            issues.error(f"metadata.{key}", "values are strings of at most 512 characters")
    if options.endpoint_url is not None and not options.azure:
        issues.error("--endpoint-url", "endpoint graders exist only on Azure OpenAI", "add --azure or drop the URL")


def _job_grader(config: Mapping[str, Any], options: OpenAIExportOptions, issues: Issues) -> dict[str, Any] | None:
    if options.endpoint_url is not None and options.azure:
        grader: dict[str, Any] = {
            "type": "endpoint",
            "name": str(config.get("name") or "endpoint"),
            "url": options.endpoint_url,
        }
        if options.endpoint_token:
            grader["headers"] = {"Authorization": f"Bearer {options.endpoint_token}"}
        if not options.endpoint_url.startswith(("http://", "https://")):
            issues.error("--endpoint-url", f"{options.endpoint_url!r} must be an http(s) URL")
        elif options.endpoint_url.startswith("http://"):
            issues.warn("--endpoint-url", "Azure calls the endpoint from its cloud; it needs a public https URL")
        return grader
    return hosted_grader(config, issues)


def export_openai(tasks: Path, grader_file: Path, out_dir: Path, options: OpenAIExportOptions) -> ExportResult:
    """Validate everything and write the job folder.

    Raises:
        ExportError: with every problem found (nothing is written).
        ConfigError: the grader file itself is invalid.
    """
    issues = Issues()
    _check_job_fields(options, issues)
    check_hyperparameters(options.hyperparameters, issues)
    file = read_grader_file(grader_file, placement="rft")
    local = build_grader(file.config, source=file.source)
    grader = _job_grader(file.config, options, issues)

    rows = read_tasks(tasks, issues)
    if options.valid is not None:
        train, valid = rows, read_tasks(options.valid, issues)
    else:
        train, valid = split_rows(rows, options.split, seed=options.seed, cap=MAX_VALID_ROWS, issues=issues)
    for where, row in (*train, *valid):
        check_row(row, where, issues)
    dict_rows = [(w, r) for w, r in (*train, *valid) if isinstance(r, Mapping)]
    check_templates(local, dict_rows, issues)
    train_bytes, valid_bytes = _encode(train), _encode(valid)
    for where, row in (*train, *valid):
        if has_surrogates(row):
            issues.warn(
                where,
                "holds an unpaired surrogate (a model printed an escape such as \\ud800), which UTF-8 cannot carry; "
                "it is written as the six characters of its escape",
            )
    check_sizes("train.jsonl", len(train), len(train_bytes), MAX_TRAIN_ROWS, issues)
    check_sizes("valid.jsonl", len(valid), len(valid_bytes), MAX_VALID_ROWS, issues)

    response_format = None
    if options.response_format is not None:
        response_format = load_response_format(options.response_format, issues, azure=options.azure)
    elif any(ref.namespace == "sample" and ref.path[:1] == ("output_json",) for t in local.templates for ref in t.refs):
        issues.warn(
            "grader",
            "reads {{sample.output_json}} but the job has no response_format; hosted, every sample would fail "
            "with invalid_variable_error",
            "pass --response-format schema.json",
        )
    graded = 0
    if not issues.error_count:  # a broken row set would only repeat the same errors through the grader
        graded = check_grader_runs(local, dict_rows, issues, sample_size=options.sample_size)

    reinforcement: dict[str, Any] = {"grader": grader, "hyperparameters": dict(options.hyperparameters)}
    if response_format is not None:
        reinforcement["response_format"] = response_format
    job = job_document(options, reinforcement, str(local.name))
    if grader is not None:
        check_job_with_sdk(job, issues)
    issues.raise_if_errors()
    assert grader is not None  # no errors means the grader compiled

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "train.jsonl").write_bytes(train_bytes)
    (out_dir / "valid.jsonl").write_bytes(valid_bytes)
    _write_json(out_dir / "grader.json", grader)
    _write_json(out_dir / "job.json", job)
    report = {
        "tasks": str(tasks),
        "grader_file": str(grader_file),
        "train_rows": len(train),
        "valid_rows": len(valid),
        "graded_rows": graded,
        "azure": options.azure,
        "issues": [i.to_dict() for i in issues.items],
    }
    _write_json(out_dir / "export_report.json", report)
    return ExportResult(out_dir, job, grader, len(train), len(valid), graded, issues)


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json_text(value, indent=2) + "\n", encoding="utf-8")


def load_job_dir(job_dir: Path) -> dict[str, Any]:
    """Read ``job.json`` of an export folder.

    Raises:
        ConfigError: missing or not JSON.
    """
    try:
        job: dict[str, Any] = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {job_dir / 'job.json'}: {exc}") from None
    return job
