"""What to roll out and how: the sampling parameters of every turn, plus the episode limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sampling import SamplingParams

__all__ = ["SIM_AGENT_PREFIX", "RolloutParams"]

SIM_AGENT_PREFIX = "sim-agent-"
"""Model names of the SIMULATED agents: their requests carry the row's reference fields as ``rft_reference``."""


@dataclass(frozen=True)
class RolloutParams:
    """Parameters of one rollout run.

    Attributes:
        sampling: model, samples per item (``n``), per-turn request parameters, concurrency (episodes in flight),
            retries and timeout, exactly as for ``rft sample``.
        max_turns: model turns per episode at most; an episode still calling tools after that many ends with
            ``stop_reason: max_turns``.
        token_budget: total tokens (prompt + completion, summed over the turns) an episode may use; once reached
            after a turn that called tools, the episode ends with ``stop_reason: token_budget``. ``None``: no budget.
        tool_threads: worker threads for environment work that is slow (see :mod:`rft_kit.rollout.tools`).
        offload_after_ms: an environment operation whose mean time exceeds this runs in the thread pool rather than
            on the event loop (pure-Python tools are faster inline than a thread hand-off); ``math.inf``: never.
    """

    sampling: SamplingParams
    max_turns: int = 10
    token_budget: int | None = None
    tool_threads: int = 8
    offload_after_ms: float = 0.5

    def __post_init__(self) -> None:
        if self.max_turns < 1:
            raise ValueError(f"max_turns must be >= 1, got {self.max_turns}")
        if self.token_budget is not None and self.token_budget < 1:
            raise ValueError(f"token_budget must be >= 1 or None, got {self.token_budget}")
        if self.tool_threads < 1:
            raise ValueError(f"tool_threads must be >= 1, got {self.tool_threads}")
        if self.offload_after_ms < 0:
            raise ValueError(f"offload_after_ms must be >= 0, got {self.offload_after_ms}")

    @classmethod
    def of(cls, model: str, *, max_turns: int = 10, token_budget: int | None = None, **sampling: Any) -> RolloutParams:
        """``RolloutParams`` from a model id and any :class:`SamplingParams` field as a keyword.

        Raises:
            ValueError: an invalid setting.
            TypeError: an unknown keyword.
        """
        return cls(SamplingParams(model=model, **sampling), max_turns=max_turns, token_budget=token_budget)

    @property
    def simulated_agent(self) -> bool:
        """Whether the model is one of the local server's SIMULATED agents."""
        return self.sampling.model.startswith(SIM_AGENT_PREFIX)

    def request_fields(self) -> dict[str, Any]:
        """The fields that change what an episode does (recorded in run.json and hashed for resume checks)."""
        return {**self.sampling.request_fields(), "max_turns": self.max_turns, "token_budget": self.token_budget}
