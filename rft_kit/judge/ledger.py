"""Token and cost accounting for judge calls, with an optional budget that stops further calls cleanly.

Prices are USD per 1M tokens from OpenAI's public price list (snapshot: 2025-08; check before trusting a bill) for
the grader models OpenAI allows; dated snapshots (``gpt-4o-2024-08-06``) use their family's price. A model not in
the table (any local or third-party model) has cost ``None`` unless ``rft_options.prices`` names it. Cached replies
cost nothing and are counted separately; only calls that reached the endpoint are charged.

The budget is checked before each call. Calls already in flight when it is reached still finish and are charged, so
spending can pass the budget by at most ``concurrency`` calls. A ledger belongs to one grader instance in one
process (a grader rebuilt from its pickle starts a new one): ``rft grade`` with N worker processes can spend up to N
budgets.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["PRICES", "Ledger", "Price", "Usage", "price_for"]


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens."""

    input: float
    cached_input: float
    output: float

    def cost(self, usage: Usage) -> float:
        """The cost of one call's usage, in USD."""
        fresh = max(0, usage.prompt_tokens - usage.cached_tokens)
        return (
            fresh * self.input + usage.cached_tokens * self.cached_input + usage.completion_tokens * self.output
        ) / 1e6


PRICES: Final[Mapping[str, Price]] = {
    "gpt-4o": Price(2.50, 1.25, 10.00),
    "gpt-4o-mini": Price(0.15, 0.075, 0.60),
    "gpt-4.1": Price(2.00, 0.50, 8.00),
    "gpt-4.1-mini": Price(0.40, 0.10, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.025, 0.40),
    "o1": Price(15.00, 7.50, 60.00),
    "o3": Price(2.00, 0.50, 8.00),
    "o3-mini": Price(1.10, 0.55, 4.40),
    "o4-mini": Price(1.10, 0.275, 4.40),
    "gpt-5": Price(1.25, 0.125, 10.00),
    "gpt-5-mini": Price(0.25, 0.025, 2.00),
    "gpt-5-nano": Price(0.05, 0.005, 0.40),
}
"""Built-in prices (USD per 1M tokens: input, cached input, output) of OpenAI's grader models."""

_DATED: Final = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def price_for(model: str, overrides: Mapping[str, Price] | None = None) -> Price | None:
    """The price of ``model``: an override, else the table (a dated snapshot uses its family), else ``None``."""
    for table in (overrides or {}, PRICES):
        if model in table:
            return table[model]
        family = _DATED.sub("", model)
        if family in table:
            return table[family]
    return None


@dataclass(frozen=True)
class Usage:
    """Token counts of one reply (``cached_tokens`` are the prompt tokens served from the provider's cache)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0

    def to_dict(self) -> dict[str, int]:
        """The hosted ``token_usage`` shape."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cached_tokens": self.cached_tokens,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Usage:
        """Read the hosted shape back (missing counts are 0)."""
        data = data or {}
        return cls(
            *(int(data.get(k) or 0) for k in ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens"))
        )


class Ledger:
    """Tokens, cost, retries and cache hits of one grading run, per model; thread-safe.

    Args:
        max_tokens: stop calling once this many tokens (prompt + completion) were used.
        max_usd: stop calling once this much was spent (only models with a known price count).
        prices: overrides of :data:`PRICES`.
    """

    def __init__(
        self,
        *,
        max_tokens: int | None = None,
        max_usd: float | None = None,
        prices: Mapping[str, Price] | None = None,
    ) -> None:
        self.max_tokens = max_tokens
        self.max_usd = max_usd
        self._prices = dict(prices or {})
        self._lock = threading.Lock()
        self._models: dict[str, dict[str, Any]] = {}
        self._tokens = 0
        self._usd = 0.0
        self.retries = 0
        self.cache_hits = 0

    def record(self, model: str, usage: Usage) -> None:
        """Charge one call that reached the endpoint."""
        price = price_for(model, self._prices)
        cost = None if price is None else price.cost(usage)
        with self._lock:
            slot = self._models.setdefault(
                model,
                {
                    "calls": 0,
                    "prompt_tokens": 0,
                    "completion_tokens": 0,
                    "cached_tokens": 0,
                    "total_tokens": 0,
                    "cost_usd": 0.0,
                },
            )
            slot["calls"] += 1
            for key, value in usage.to_dict().items():
                slot[key] += value
            if cost is None:
                slot["cost_usd"] = None
            elif slot["cost_usd"] is not None:
                slot["cost_usd"] += cost
            self._tokens += usage.prompt_tokens + usage.completion_tokens
            self._usd += cost or 0.0

    def record_retry(self) -> None:
        """Count one retried attempt."""
        with self._lock:
            self.retries += 1

    def record_cache_hit(self) -> None:
        """Count one reply served from the on-disk cache."""
        with self._lock:
            self.cache_hits += 1

    def exhausted(self) -> str | None:
        """Why no further call may be made, or ``None`` while within budget."""
        with self._lock:
            if self.max_tokens is not None and self._tokens >= self.max_tokens:
                return f"budget exhausted: {self._tokens} tokens used of a budget of {self.max_tokens}"
            if self.max_usd is not None and self._usd >= self.max_usd:
                return f"budget exhausted: ${self._usd:.4f} spent of a budget of ${self.max_usd:.4f}"
        return None

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens charged so far."""
        with self._lock:
            return self._tokens

    @property
    def cost_usd(self) -> float | None:
        """Dollars spent, or ``None`` when a model without a known price was called."""
        with self._lock:
            if any(slot["cost_usd"] is None for slot in self._models.values()):
                return None
            return self._usd

    def snapshot(self) -> dict[str, Any]:
        """Everything recorded, JSON-ready."""
        cost = self.cost_usd
        with self._lock:
            return {
                "per_model": {model: dict(slot) for model, slot in self._models.items()},
                "tokens": self._tokens,
                "cost_usd": cost,
                "retries": self.retries,
                "cache_hits": self.cache_hits,
                "budget": {"tokens": self.max_tokens, "usd": self.max_usd},
            }
