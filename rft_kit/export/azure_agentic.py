"""``rft export azure``: an Azure Foundry *agentic* RFT job folder (tools served by ``rft serve-tools``).

Writes ``train.jsonl`` and ``valid.jsonl`` (RFT rows with their ``tools``), ``grader.json``, ``job.json`` (the
``fine_tuning.jobs.create`` arguments; file ids as ``upload:<file>`` placeholders) and ``export_report.json``.
``method.reinforcement`` is Azure's agentic shape (AGENTIC.md section 2; microsoft-foundry/fine-tuning,
Docs/tool-call-endpoint-grader.md)::

    {"grader": ..., "tools": [{"name", "server_url": TOOLS_URL/tools/<name>, "headers"}], "max_episode_steps",
     "hyperparameters": {...}}

The grader is the hosted compilation of the local one where it compiles (``python`` over ``sample.output_tools`` for
a ``trajectory`` grader, through the graders' ``to_hosted``), or an ``endpoint`` grader
``{"type": "endpoint", "name", "url": GRADER_URL/grade, "headers", "rate_limit", "pass_threshold"}`` pointing at
``rft serve-tools --grader G``, which grades the sample with the episode it served under that ``trace_id`` (needed
for ``final_state``, which hosted python cannot see).

Auth: serve-tools requires ``Authorization: Bearer <token>`` when started with ``--token``. The exporter reads the
token from an environment variable (``RFT_SERVE_TOKEN`` by default, the one ``rft serve-tools`` reads; another name
with ``--token-env``), so it never appears on a command line, and writes it into the tools' and the endpoint grader's
``headers`` (Azure sends those headers verbatim; its preview supports key-based auth only). ``job.json`` then holds a
secret: it is written with mode 0600 and ``export_report.json`` says so. ``--no-auth`` writes no auth header.

Nothing is written unless every check passes: the job fields and hyperparameters (as ``rft export openai``), the
rows (hosted row rules plus the agentic ones: tools, an environment that serves them), the template variables, the
grader compiled (or an endpoint URL given), the openai SDK's types for everything they cover, the documented Azure
shapes for what they do not (``tools``, ``max_episode_steps``, the endpoint grader), and a local grading pass over the
rows' oracle episodes in which a compiled grader must give the local grader's rewards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Required

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from ..graders.base import Grader
from ..graders.loading import build_grader, read_grader_file
from ..records import Sample
from .agentic_rows import check_agentic_row, oracle_episodes, tool_names_in_order
from .hosted_grader import hosted_grader
from .hyper import check_hyperparameters
from .issues import Issues
from .openai_job import DEFAULT_MODEL, OpenAIExportOptions, _check_job_fields, job_document
from .preflight import MODEL_GRADER_TYPES, check_templates
from .rows import MAX_TRAIN_ROWS, MAX_VALID_ROWS, check_row, check_sizes
from .sdk_check import _validate, check_grader_with_sdk, check_job_with_sdk
from .tasks import Row, read_tasks, split_rows

__all__ = [
    "DEFAULT_TOKEN_ENV",
    "AzureAgenticOptions",
    "AzureExportResult",
    "AzureToolParam",
    "EndpointGraderParam",
    "export_azure",
]

DEFAULT_TOKEN_ENV: Final = "RFT_SERVE_TOKEN"
# Azure recommends endpoints sustain 50 QPS; the endpoint grader's rate_limit caps what it sends.
DEFAULT_RATE_LIMIT: Final = 50
GraderMode = Literal["auto", "python", "endpoint"]


class AzureToolParam(TypedDict, total=False):
    """One entry of ``method.reinforcement.tools`` (Azure agentic RFT; not in the openai SDK's types)."""

    name: Required[str]
    server_url: Required[str]
    headers: dict[str, str]


class EndpointGraderParam(TypedDict, total=False):
    """Azure's ``endpoint`` grader (not in the openai SDK's types)."""

    type: Required[Literal["endpoint"]]
    name: str
    url: Required[str]
    headers: dict[str, str]
    rate_limit: int
    pass_threshold: float


@dataclass
class AzureAgenticOptions:
    """Settings of one export (the CLI flags).

    Attributes:
        tools_url: base URL of ``rft serve-tools``; each tool is ``<tools_url>/tools/<name>``.
        grader_url: base URL of the grading server (``rft serve-tools --grader``); the grader is ``<url>/grade``.
        grader_mode: ``auto`` (compiled where it compiles, else the endpoint), ``python`` or ``endpoint``.
        token_env: the environment variable holding serve-tools' bearer token.
        no_auth: write no auth header (serve-tools runs without ``--token``).
        max_episode_steps: the most tool-calling steps of one rollout.
        rate_limit: the endpoint grader's requests per second.
        pass_threshold: the endpoint grader's pass threshold (default: the grader config's, else none).
        valid, split, model, hyperparameters, suffix, seed, metadata: as ``rft export openai``.
        sample_size: rows whose oracle episodes are graded locally before export.
    """

    tools_url: str
    grader_url: str | None = None
    grader_mode: GraderMode = "auto"
    token_env: str = DEFAULT_TOKEN_ENV
    no_auth: bool = False
    max_episode_steps: int = 10
    rate_limit: int = DEFAULT_RATE_LIMIT
    pass_threshold: float | None = None
    valid: Path | None = None
    split: float = 0.1
    model: str = DEFAULT_MODEL
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    seed: int = 42
    metadata: dict[str, str] = field(default_factory=dict)
    sample_size: int = 20


@dataclass
class AzureExportResult:
    """What was written, and the warnings."""

    out_dir: Path
    job: dict[str, Any]
    grader: dict[str, Any]
    tools: list[str]
    train_rows: int
    valid_rows: int
    graded_rows: int
    issues: Issues


def _base_url(url: str | None, flag: str, issues: Issues) -> str | None:
    if url is None:
        return None
    if not url.startswith(("http://", "https://")):
        issues.error(flag, f"{url!r} must be an http(s) URL", "e.g. https://tools.example.com")
        return None
    if url.startswith("http://"):
        issues.warn(flag, "Azure calls the endpoint from its cloud; it needs a public https URL")
    return url.rstrip("/")


def _headers(options: AzureAgenticOptions, issues: Issues) -> dict[str, str]:
    if options.no_auth:
        issues.warn(
            "--no-auth", "the job sends no auth header: anyone who finds the URL can call your tools and grader"
        )
        return {}
    token = os.environ.get(options.token_env, "")
    if not token:
        issues.error(
            "--token-env",
            f"${options.token_env} is not set: the job would get 401 from `rft serve-tools --token` on every call",
            f"export {options.token_env}=<the token serve-tools was started with> (read from the environment so it "
            "never appears on a command line), or pass --no-auth for a server started without --token",
        )
        return {}
    return {"Authorization": f"Bearer {token}"}


def _job_grader(
    config: Mapping[str, Any],
    options: AzureAgenticOptions,
    grader_url: str | None,
    headers: dict[str, str],
    issues: Issues,
) -> dict[str, Any] | None:
    mode = options.grader_mode
    if mode in ("auto", "python"):
        scratch = Issues()
        compiled = hosted_grader(config, scratch)
        if compiled is not None:
            _merge(scratch, issues)
            return compiled
        if mode == "python" or grader_url is None:
            _merge(scratch, issues)
            issues.error(
                "grader",
                "does not compile to a hosted grader (above) and no --grader-url was given",
                "run `rft serve-tools --grader G` and pass --grader-url URL (an endpoint grader grades the episode "
                "the tool server saw, final state included), or export a grader that compiles (e.g. the trajectory "
                "part alone)",
            )
            return None
    if grader_url is None:
        issues.error("--grader-url", "an endpoint grader needs the URL of `rft serve-tools --grader G`")
        return None
    grader: dict[str, Any] = {
        "type": "endpoint",
        "name": str(config.get("name") or "endpoint")[:64],
        "url": f"{grader_url}/grade",
        "headers": dict(headers),
        "rate_limit": options.rate_limit,
    }
    threshold = options.pass_threshold if options.pass_threshold is not None else config.get("pass_threshold")
    if threshold is not None:
        grader["pass_threshold"] = threshold
    if options.rate_limit < 1:
        issues.error("--rate-limit", f"{options.rate_limit} must be at least 1 request per second")
    return grader


def _merge(scratch: Issues, issues: Issues) -> None:
    for item in scratch.items:
        (issues.error if item.level == "error" else issues.warn)(item.where, item.message, item.fix)


def _check_azure_fields(job: Mapping[str, Any], issues: Issues) -> None:
    """The SDK's types for what they cover; the documented Azure shapes for ``tools`` and the endpoint grader."""
    reinforcement = dict(job["method"]["reinforcement"])
    tools = reinforcement.pop("tools")
    steps = reinforcement.pop("max_episode_steps")
    grader = reinforcement["grader"]
    if grader.get("type") == "endpoint":
        _validate(EndpointGraderParam, grader, "job.json.method.reinforcement.grader", issues)
        reinforcement["grader"] = {"type": "string_check", "name": "x", "input": "", "reference": "", "operation": "eq"}
    check_job_with_sdk({**job, "method": {**job["method"], "reinforcement": reinforcement}}, issues)
    for index, tool in enumerate(tools):
        _validate(AzureToolParam, tool, f"job.json.method.reinforcement.tools[{index}]", issues)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        issues.error("--max-episode-steps", f"{steps!r} must be a positive integer")


def _uses_model(config: Mapping[str, Any]) -> bool:
    if config.get("type") in MODEL_GRADER_TYPES:
        return True
    subs = config.get("graders")
    return isinstance(subs, Mapping) and any(_uses_model(s) for s in subs.values() if isinstance(s, Mapping))


def _grade_oracles(
    local: Grader,
    config: Mapping[str, Any],
    compiled: Mapping[str, Any],
    rows: list[tuple[str, Mapping[str, Any]]],
    max_steps: int,
    issues: Issues,
    sample_size: int,
) -> int:
    """Grade the oracle episodes locally; a compiled grader must agree with the local one on each."""
    episodes = oracle_episodes(rows, issues, limit=sample_size)
    longest = max((len(e["output_tools"]) for *_, e in episodes), default=0)
    if longest > max_steps:
        issues.warn(
            "--max-episode-steps",
            f"{max_steps} is fewer than the {longest} tool calls the longest oracle plan needs; such rollouts are cut "
            "off before they can succeed",
            f"pass --max-episode-steps {longest + 2} or more",
        )
    if _uses_model(config):
        issues.warn("grader", "contains a model grader; the local grading pass was skipped (no model calls on export)")
        return 0
    hosted = build_grader(compiled) if compiled.get("type") != "endpoint" else None
    for where, row, episode in episodes:
        sample = Sample.from_obj(episode)
        result = local.grade(sample, row)
        for err in result.errors:
            if err.kind in ("config", "internal"):
                issues.error(f"{where}: grader", f"grading the oracle episode failed ({err.kind}): {err.message}")
        if result.ok and result.reward < 1.0:
            issues.warn(f"{where}: grader", f"the oracle episode scores {result.reward:.3f}, not 1.0")
        if hosted is not None:
            remote = hosted.grade(Sample.from_obj(episode), row)
            if not remote.ok or abs(remote.reward - result.reward) > 1e-9:
                got = f"{remote.reward:.6f}" if remote.ok else f"an error ({remote.error})"
                issues.error(
                    f"{where}: grader.json",
                    f"the compiled grader gives {got} on the oracle episode where the local grader gives "
                    f"{result.reward:.6f}; the job would train on different rewards",
                    "use --grader-mode endpoint (the server grades with the local grader)",
                )
    return len(episodes)


def export_azure(tasks: Path, grader_file: Path, out_dir: Path, options: AzureAgenticOptions) -> AzureExportResult:
    """Validate everything and write the agentic job folder.

    Raises:
        ExportError: with every problem found (nothing is written).
        ConfigError: the grader file itself is invalid.
    """
    issues = Issues()
    _check_job_fields(
        OpenAIExportOptions(model=options.model, suffix=options.suffix, metadata=options.metadata, azure=True), issues
    )
    check_hyperparameters(options.hyperparameters, issues)
    tools_url = _base_url(options.tools_url, "--tools-url", issues)
    grader_url = _base_url(options.grader_url, "--grader-url", issues)
    headers = _headers(options, issues)
    file = read_grader_file(grader_file, placement="any")
    local = build_grader(file.config, source=file.source)
    grader = _job_grader(file.config, options, grader_url, headers, issues)

    rows = read_tasks(tasks, issues)
    train: list[Row]
    valid: list[Row]
    if options.valid is not None:
        train, valid = rows, read_tasks(options.valid, issues)
    else:
        train, valid = split_rows(rows, options.split, seed=options.seed, cap=MAX_VALID_ROWS, issues=issues)
    for where, row in (*train, *valid):
        check_row(row, where, issues)
        check_agentic_row(row, where, issues)
    dict_rows = [(w, r) for w, r in (*train, *valid) if isinstance(r, Mapping)]
    check_templates(local, dict_rows, issues)
    train_bytes, valid_bytes = _encode(train), _encode(valid)
    check_sizes("train.jsonl", len(train), len(train_bytes), MAX_TRAIN_ROWS, issues)
    check_sizes("valid.jsonl", len(valid), len(valid_bytes), MAX_VALID_ROWS, issues)

    names = tool_names_in_order([r for _, r in dict_rows])
    tools = [
        {"name": name, "server_url": f"{tools_url}/tools/{name}", "headers": dict(headers)}
        for name in names
        if tools_url is not None
    ]
    graded = 0
    if not issues.error_count and grader is not None:
        graded = _grade_oracles(
            local, file.config, grader, dict_rows, options.max_episode_steps, issues, options.sample_size
        )
    reinforcement: dict[str, Any] = {
        "grader": grader,
        "tools": tools,
        "max_episode_steps": options.max_episode_steps,
        "hyperparameters": dict(options.hyperparameters),
    }
    job = job_document(options, reinforcement, str(local.name))
    if grader is not None:
        if grader.get("type") != "endpoint":
            check_grader_with_sdk(grader, issues)
        _check_azure_fields(job, issues)
    issues.raise_if_errors()
    assert grader is not None  # no errors means a grader was built

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "train.jsonl").write_bytes(train_bytes)
    (out_dir / "valid.jsonl").write_bytes(valid_bytes)
    secret = bool(headers)
    _write_json(out_dir / "grader.json", grader, secret=secret and grader.get("type") == "endpoint")
    _write_json(out_dir / "job.json", job, secret=secret)
    report = {
        "tasks": str(tasks),
        "grader_file": str(grader_file),
        "grader_type": grader["type"],
        "tools": names,
        "train_rows": len(train),
        "valid_rows": len(valid),
        "graded_oracle_episodes": graded,
        "auth": "none" if not secret else f"Authorization: Bearer ${options.token_env} (job.json holds it; mode 0600)",
        "issues": [i.to_dict() for i in issues.items],
    }
    _write_json(out_dir / "export_report.json", report, secret=False)
    return AzureExportResult(out_dir, job, grader, names, len(train), len(valid), graded, issues)


def _encode(rows: list[Row]) -> bytes:
    return b"".join(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n" for _, row in rows)


def _write_json(path: Path, value: Any, *, secret: bool) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    if not secret:
        path.write_text(text, encoding="utf-8")
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT
