"""``rft run``: generate -> sample (or roll out) -> grade -> report into one run folder, resuming whatever was
interrupted.

Agentic tasks (rows with an ``environment``) or a pipeline with a ``rollout`` key roll out episodes in the samples
stage (:mod:`rft_kit.rollout`); the stage's inputs then include the episode limits.

Each stage records in run.json a hash of its inputs (the task source; the tasks file and sampling parameters; the
samples file and grader config; the grades and the baseline's grades) and its status. On a re-run a stage is:

* **skipped** when it is ``done`` and its inputs hash the same (its output files still present);
* **resumed** when it was interrupted (``running``) with the same inputs: sampling and grading append to their files
  and skip the records already there;
* **redone** from scratch when its inputs changed (its old output is deleted first), and then every later stage's
  inputs change too, so they follow.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import InputError
from ..graders.base import Grader
from ..graders.loading import load_grader
from ..grading import grade
from ..io.jsonl import iter_jsonl
from ..local_openai.backends import is_solver_model
from ..local_openai.sim_agents import is_agent_model
from ..openai_client import LOCAL
from ..report import make_report, write_report
from ..rollout import RolloutParams, rollout
from ..sampling import sample
from .config import PipelineConfig, RolloutSettings, TaskSource
from .folder import RunFolder, file_sha256, json_sha256, now_iso

__all__ = ["PipelineResult", "StageOutcome", "run_pipeline"]


@dataclass
class StageOutcome:
    """What happened to one stage in this invocation: ``action`` is ``done``, ``resumed`` or ``skipped``."""

    stage: str
    action: str
    duration_s: float
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class PipelineResult:
    """The run folder and what each stage did."""

    folder: RunFolder
    stages: list[StageOutcome]
    report: dict[str, Any] | None
    simulated: bool


def _write_tasks(source: TaskSource, out: Path) -> dict[str, Any]:
    temp = out.with_name(out.name + ".tmp")
    if source.path is not None:
        if not source.path.exists():
            raise InputError("tasks file not found", source=str(source.path))
        data = source.path.read_bytes()
        temp.write_bytes(data)
        count = sum(1 for line in data.splitlines() if line.strip())
    else:
        from ..tasks.generate import generate, write_items

        assert source.template is not None
        count = write_items(generate(source.template, source.n, seed=source.seed, difficulty=source.difficulty), temp)
    # written aside then renamed: a killed generate leaves no half task set behind
    os.replace(temp, out)
    return {"items": count}


def _load_grader(config: PipelineConfig) -> tuple[Grader, str]:
    """The run's grader and where it came from (a file, or the task template's own grader)."""
    if config.grader is not None:
        return load_grader(config.grader, placement="any"), str(config.grader)
    from ..tasks.generate import load_template_grader
    from ..tasks.registry import get_template

    template = str(config.tasks.template)
    declared = getattr(get_template(template), "grader", "")
    return load_template_grader(template), f"template {template}: {declared}"


def _agentic(tasks: Path) -> bool:
    """Whether the task set is agentic: its first readable row carries an ``environment``."""
    for line in iter_jsonl(tasks):
        if line.error is None and isinstance(line.value, dict):
            return isinstance(line.value.get("environment"), dict)
    return False


def _tasks_inputs(source: TaskSource) -> dict[str, Any]:
    if source.path is not None:
        if not source.path.exists():
            raise InputError("tasks file not found", source=str(source.path))
        return {"path_sha256": file_sha256(source.path)}
    from ..tasks.registry import get_template

    version = getattr(get_template(str(source.template)), "version", None)
    return {**source.describe(), "generator_version": version}


class _Stages:
    """Runs one stage at a time with the skip / resume / redo rule of the module docstring."""

    def __init__(self, folder: RunFolder, meta: dict[str, Any], log: Callable[[str], None]) -> None:
        self.folder = folder
        self.meta = meta
        self.log = log
        self.outcomes: list[StageOutcome] = []

    def run(self, stage: str, inputs: dict[str, Any], work: Callable[[], dict[str, Any]]) -> None:
        inputs_sha = json_sha256(inputs)
        record = self.meta["stages"].get(stage) or {}
        outputs = self.folder.stage_outputs(stage)
        same = record.get("inputs_sha256") == inputs_sha
        if same and record.get("status") == "done" and all(p.exists() for p in outputs):
            self.outcomes.append(StageOutcome(stage, "skipped", 0.0, record.get("summary") or {}))
            self.log(f"{stage}: up to date (skipped)")
            return
        action = "resumed" if same and record.get("status") == "running" else "done"
        if action == "done":
            for path in outputs:
                path.unlink(missing_ok=True)
        self.meta["stages"][stage] = {
            "status": "running",
            "inputs_sha256": inputs_sha,
            "inputs": inputs,
            "started_at": now_iso() if action == "done" else record.get("started_at", now_iso()),
        }
        self.folder.save(self.meta)
        self.log(f"{stage}: {'resuming' if action == 'resumed' else 'running'}")
        start = time.perf_counter()
        summary = work()
        duration = time.perf_counter() - start
        entry = self.meta["stages"][stage]
        entry.update(status="done", finished_at=now_iso(), duration_s=round(duration, 3), summary=summary)
        if stage != "report":
            entry["output_sha256"] = file_sha256(outputs[0])
        self.folder.save(self.meta)
        self.outcomes.append(StageOutcome(stage, action, duration, summary))


def _resolve_baseline(config: PipelineConfig, runs_dir: Path) -> Path | None:
    if config.baseline is None:
        return None
    for candidate in (runs_dir / config.baseline, config.base_dir / config.baseline, Path(config.baseline)):
        if (candidate / "grades.jsonl").exists():
            return candidate
    raise InputError(
        f"baseline run {config.baseline!r} not found (looked for a run name in {runs_dir} and a folder path)"
    )


def run_pipeline(
    config: PipelineConfig,
    runs_dir: str | Path = "runs",
    *,
    log: Callable[[str], None] = lambda _: None,
    base_url: str | None = None,
) -> PipelineResult:
    """Run (or resume) every stage of ``config`` into ``<runs_dir>/<config.name>/``.

    Args:
        config: the parsed pipeline file.
        runs_dir: where run folders live.
        log: called with one line per stage event.
        base_url: override the model's endpoint (e.g. a local server already running).

    Returns:
        The folder, what each stage did, and the report dict.

    Raises:
        ConfigError: invalid grader or template. InputError: missing input files or baseline.
    """
    runs = Path(runs_dir)
    folder = RunFolder(runs / config.name)
    meta = folder.load()
    grader, grader_file = _load_grader(config)
    grader_config = grader.to_config()
    grader_sha = json_sha256(grader_config)
    baseline = _resolve_baseline(config, runs)
    params = config.model.params
    endpoint = base_url or config.model.base_url
    simulated = endpoint is None and (is_solver_model(params.model) or is_agent_model(params.model))
    meta.update(
        name=config.name,
        rft_kit_version=__version__,
        tasks={"source": config.tasks.describe()},
        grader={"path": grader_file, "sha256": grader_sha, "config": grader_config},
        model={
            "name": params.model,
            "base_url": "local in-process app (SIMULATED model)" if simulated else endpoint,
            "simulated": simulated,
            "params": params.request_fields(),
        },
        baseline=None if baseline is None else str(baseline),
    )
    meta.setdefault("stages", {})
    stages = _Stages(folder, meta, log)

    stages.run("tasks", _tasks_inputs(config.tasks), lambda: _write_tasks(config.tasks, folder.tasks))

    settings = config.rollout or (RolloutSettings() if _agentic(folder.tasks) else None)
    episodes = None if settings is None else RolloutParams(params, settings.max_turns, settings.token_budget)

    def do_sample(url: str | None) -> dict[str, Any]:
        api_key = os.environ.get(config.model.api_key_env)
        if episodes is not None:
            return {
                "mode": "rollout",
                **rollout(folder.tasks, folder.samples, episodes, base_url=url, api_key=api_key).to_dict(),
            }
        return sample(folder.tasks, folder.samples, params, base_url=url, api_key=api_key).to_dict()

    sample_inputs: dict[str, Any] = {"tasks_sha256": file_sha256(folder.tasks), "model": params.request_fields()}
    if episodes is not None:
        sample_inputs = {**sample_inputs, "mode": "rollout", "model": episodes.request_fields()}
        meta["model"]["rollout"] = {"max_turns": episodes.max_turns, "token_budget": episodes.token_budget}
    # A SIMULATED model without an endpoint is answered in-process (no server, no port).
    stages.run("samples", sample_inputs, lambda: do_sample(LOCAL if simulated else endpoint))

    grade_inputs = {
        "samples_sha256": file_sha256(folder.samples),
        "tasks_sha256": file_sha256(folder.tasks),
        "grader_sha256": grader_sha,
    }
    stages.run(
        "grades",
        grade_inputs,
        lambda: grade(grader, folder.samples, folder.tasks, output=folder.grades).to_dict(),
    )

    report_holder: dict[str, Any] = {}

    def do_report() -> dict[str, Any]:
        report = make_report(folder.path, baseline)
        report_holder["report"] = report
        html, md, js = write_report(report, folder.report_files[0])
        return {"html": str(html), "markdown": str(md), "json": str(js)}

    report_inputs = {
        "grades_sha256": file_sha256(folder.grades),
        "baseline_grades_sha256": None if baseline is None else file_sha256(baseline / "grades.jsonl"),
        "report_version": 1,
    }
    stages.run("report", report_inputs, do_report)
    report = report_holder.get("report")
    if report is None and folder.report_files[2].exists():
        report = json.loads(folder.report_files[2].read_text(encoding="utf-8"))
    return PipelineResult(folder, stages.outcomes, report, simulated)
