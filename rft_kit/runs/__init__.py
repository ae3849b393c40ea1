"""Run folders and the generate -> sample -> grade -> report pipeline (``rft run``, ``rft demo``)."""

from __future__ import annotations

from .config import ModelSpec, PipelineConfig, TaskSource, load_pipeline, parse_pipeline
from .folder import STAGES, RunFolder
from .pipeline import PipelineResult, StageOutcome, run_pipeline

__all__ = [
    "STAGES",
    "ModelSpec",
    "PipelineConfig",
    "PipelineResult",
    "RunFolder",
    "StageOutcome",
    "TaskSource",
    "load_pipeline",
    "parse_pipeline",
    "run_pipeline",
]
