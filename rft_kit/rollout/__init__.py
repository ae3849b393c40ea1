"""Multi-turn rollouts of agentic items against any OpenAI-compatible endpoint (``rft rollout``, :func:`rollout`)."""

from __future__ import annotations

from .engine import RolloutSummary, rollout, rollout_async
from .params import SIM_AGENT_PREFIX, RolloutParams

__all__ = ["SIM_AGENT_PREFIX", "RolloutParams", "RolloutSummary", "rollout", "rollout_async"]
