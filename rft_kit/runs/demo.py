"""``rft demo``: the whole loop offline, twice, with a SIMULATED model, to show an iteration and its comparison.

Two runs on the same generated task set: ``<prefix>-base`` samples ``sim-base`` and ``<prefix>-strong`` samples
``sim-strong`` (SIMULATED solver models, :mod:`rft_kit.local_openai.simulated_solver`) from rft-kit's local
OpenAI-compatible app, in-process, through the real ``openai`` SDK path; both are graded with the template's grader,
and the second run's report compares it with the first. No API key, no network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..sampling import SamplingParams
from .config import ModelSpec, PipelineConfig, TaskSource
from .pipeline import PipelineResult, run_pipeline

__all__ = ["DEMO_TEMPLATE", "DemoResult", "demo_configs", "run_demo"]

DEMO_TEMPLATE: Final = "invoice_extraction"
"""A multi-field grader (sub-rewards) over three difficulty levels shows most of what a report holds."""
_QUICKSTART: Final = Path(__file__).resolve().parents[2] / "examples" / "quickstart"


@dataclass
class DemoResult:
    """The two runs of the demo."""

    base: PipelineResult
    strong: PipelineResult


def _task_source(items: int, seed: int) -> tuple[TaskSource, Path | None, str]:
    """The demo's tasks: the invoice generator when the task templates load, else the bundled quickstart set."""
    try:
        from ..tasks.registry import get_template

        get_template(DEMO_TEMPLATE)
    except Exception as exc:  # templates are checkout content; without them the bundled quickstart set still works
        note = f"tasks: examples/quickstart/items.jsonl (template {DEMO_TEMPLATE} unavailable: {exc})"
        return TaskSource(path=_QUICKSTART / "items.jsonl"), _QUICKSTART / "grader.yaml", note
    note = f"tasks: {items} generated from template {DEMO_TEMPLATE} (seed {seed}, mixed difficulty)"
    return TaskSource(template=DEMO_TEMPLATE, n=items, seed=seed, difficulty="mixed"), None, note


def demo_configs(
    prefix: str = "demo", *, items: int = 30, samples: int = 4, seed: int = 7
) -> tuple[list[PipelineConfig], str]:
    """The pipeline configs of the demo's two runs (the second names the first as its baseline) and a note on the
    task source."""
    source, grader, note = _task_source(items, seed)
    configs = []
    for model, baseline in (("sim-base", None), ("sim-strong", f"{prefix}-base")):
        params = SamplingParams(model=model, n=samples, temperature=1.0, max_tokens=512, concurrency=8)
        configs.append(
            PipelineConfig(
                name=f"{prefix}-{model.removeprefix('sim-')}",
                tasks=source,
                model=ModelSpec(params=params),
                grader=grader,
                baseline=baseline,
            )
        )
    return configs, note


def run_demo(
    runs_dir: str | Path = "runs",
    *,
    prefix: str = "demo",
    items: int = 30,
    samples: int = 4,
    seed: int = 7,
    log: Callable[[str], None] = lambda _: None,
) -> DemoResult:
    """Run the demo's two pipelines into ``runs_dir`` (resuming, like ``rft run``)."""
    (base_config, strong_config), note = demo_configs(prefix, items=items, samples=samples, seed=seed)
    log(note)
    base = run_pipeline(base_config, runs_dir, log=lambda line: log(f"[{base_config.name}] {line}"))
    strong = run_pipeline(strong_config, runs_dir, log=lambda line: log(f"[{strong_config.name}] {line}"))
    return DemoResult(base, strong)
