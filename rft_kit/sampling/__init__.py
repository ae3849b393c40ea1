"""Sampling model outputs for task items from any OpenAI-compatible endpoint (``rft sample``, :func:`sample`)."""

from __future__ import annotations

from .params import DeveloperRole, SamplingParams
from .sampler import SampleSummary, sample, sample_async

__all__ = ["DeveloperRole", "SampleSummary", "SamplingParams", "sample", "sample_async"]
