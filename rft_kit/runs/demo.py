"""``rft demo``: the whole loop offline, twice, with a SIMULATED model, to show an iteration and its comparison.

Two runs on the same generated task set: ``<prefix>-base`` samples ``sim-base`` and ``<prefix>-strong`` samples
``sim-strong`` (SIMULATED solver models, :mod:`rft_kit.local_openai.simulated_solver`) from rft-kit's local
OpenAI-compatible app, in-process, through the real ``openai`` SDK path; both are graded with the template's grader,
and the second run's report compares it with the first. No API key, no network.

``rft demo --agentic`` does the same for the agentic loop: tasks from the ``support_desk`` template (a support desk
under a written refund policy, tools over an orders store), episodes rolled out with the SIMULATED agents
``sim-agent-base`` and ``sim-agent-strong`` (:mod:`rft_kit.local_openai.sim_agents`), graded on the final state, the
trajectory and the answer, and a report with the agentic view (turns, tool calls, stop reasons, tool errors by tool).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..sampling import SamplingParams
from .config import ModelSpec, PipelineConfig, RolloutSettings, TaskSource
from .pipeline import PipelineResult, run_pipeline

__all__ = ["AGENTIC_DEMO_TEMPLATE", "DEMO_TEMPLATE", "DemoResult", "agentic_demo_configs", "demo_configs", "run_demo"]

DEMO_TEMPLATE: Final = "invoice_extraction"
"""A multi-field grader (sub-rewards) over three difficulty levels shows most of what a report holds."""
AGENTIC_DEMO_TEMPLATE: Final = "support_desk"
"""The agentic demo's template: policy refusals, a tool catalogue at the hard level, a gated multi grader."""


@dataclass
class DemoResult:
    """The two runs of the demo."""

    base: PipelineResult
    strong: PipelineResult


def _task_source(items: int, seed: int) -> tuple[TaskSource, str]:
    """The demo's tasks: the built-in invoice template (shipped in the wheel, so this works from any directory)."""
    note = f"tasks: {items} generated from template {DEMO_TEMPLATE} (seed {seed}, mixed difficulty)"
    return TaskSource(template=DEMO_TEMPLATE, n=items, seed=seed, difficulty="mixed"), note


def demo_configs(
    prefix: str = "demo", *, items: int = 30, samples: int = 4, seed: int = 7
) -> tuple[list[PipelineConfig], str]:
    """The pipeline configs of the demo's two runs (the second names the first as its baseline) and a note on the
    task source."""
    source, note = _task_source(items, seed)
    configs = []
    for model, baseline in (("sim-base", None), ("sim-strong", f"{prefix}-base")):
        params = SamplingParams(model=model, n=samples, temperature=1.0, max_tokens=512, concurrency=8)
        configs.append(
            PipelineConfig(
                name=f"{prefix}-{model.removeprefix('sim-')}",
                tasks=source,
                model=ModelSpec(params=params),
                grader=None,  # the template's own grader, rft:tasks/invoice_extraction
                baseline=baseline,
            )
        )
    return configs, note


def agentic_demo_configs(
    prefix: str = "agentic", *, items: int = 30, samples: int = 4, seed: int = 7
) -> tuple[list[PipelineConfig], str]:
    """The pipeline configs of the agentic demo's two runs (base, then strong against it) and a note on the tasks."""
    source = TaskSource(template=AGENTIC_DEMO_TEMPLATE, n=items, seed=seed, difficulty="mixed")
    configs = []
    for model, baseline in (("sim-agent-base", None), ("sim-agent-strong", f"{prefix}-base")):
        params = SamplingParams(model=model, n=samples, concurrency=16)
        configs.append(
            PipelineConfig(
                name=f"{prefix}-{model.removeprefix('sim-agent-')}",
                tasks=source,
                model=ModelSpec(params=params),
                grader=None,
                baseline=baseline,
                rollout=RolloutSettings(max_turns=20),
            )
        )
    note = f"tasks: {items} agentic tasks from template {AGENTIC_DEMO_TEMPLATE} (seed {seed}, mixed difficulty)"
    return configs, note


def run_demo(
    runs_dir: str | Path = "runs",
    *,
    prefix: str | None = None,
    items: int = 30,
    samples: int = 4,
    seed: int = 7,
    agentic: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> DemoResult:
    """Run the demo's two pipelines into ``runs_dir`` (resuming, like ``rft run``); ``agentic`` runs the agentic
    loop (rollouts of SIMULATED agents) instead of single-turn sampling. ``prefix`` defaults to ``demo`` /
    ``agentic``."""
    if agentic:
        make = agentic_demo_configs
        prefix = prefix or "agentic"
    else:
        make = demo_configs
        prefix = prefix or "demo"
    (base_config, strong_config), note = make(prefix, items=items, samples=samples, seed=seed)
    log(note)
    base = run_pipeline(base_config, runs_dir, log=lambda line: log(f"[{base_config.name}] {line}"))
    strong = run_pipeline(strong_config, runs_dir, log=lambda line: log(f"[{strong_config.name}] {line}"))
    return DemoResult(base, strong)
