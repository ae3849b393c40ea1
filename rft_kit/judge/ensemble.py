"""Ensembles of judges: several models grade the same pair and a reducer makes one reward.

``rft_options.ensemble: {models: [m1, m2, ...], reducer: mean | median | majority}`` on any model grader. Every
model gets exactly the calls the single-model grader would make. Reducers:

* ``mean`` / ``median`` of the models' rewards (default ``mean``);
* ``majority``: the reward most models gave (rewards compared to 1e-9; label and pass/fail judges give few distinct
  values); a tie between the most common rewards is resolved to the LOWER one, so a split ensemble never passes
  a sample by luck.

A model whose reply fails (refusal, parse error, server error) makes the pair an error naming that model: a reward
reduced over fewer models than configured would silently change what the ensemble means. ``metadata.ensemble``
holds each model's reward and metadata (its verdict), and ``disagreement``: max - min reward for ``mean`` and
``median``, the share of models not in the majority for ``majority``.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from ..errors import ConfigError

__all__ = ["REDUCERS", "Reducer", "parse_ensemble", "reduce_rewards"]

Reducer = Literal["mean", "median", "majority"]
REDUCERS: Final = ("mean", "median", "majority")
_TOLERANCE: Final = 1e-9


def parse_ensemble(value: Any, path: str) -> tuple[tuple[str, ...], Reducer] | None:
    """``(models, reducer)`` of an ``ensemble`` option, ``None`` when absent.

    Raises:
        ConfigError: not an object with at least two distinct model ids and a known reducer.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError("must be an object {models: [...], reducer?}", path=path)
    models = value.get("models")
    if not isinstance(models, list) or len(models) < 2 or not all(isinstance(m, str) and m for m in models):
        raise ConfigError("models must list at least two judge model ids", path=f"{path}.models")
    if len(set(models)) != len(models):
        raise ConfigError("models lists a model twice (use sampling to resample one model)", path=f"{path}.models")
    reducer = value.get("reducer", "mean")
    if reducer not in REDUCERS:
        raise ConfigError(f"must be one of {', '.join(REDUCERS)}, got {reducer!r}", path=f"{path}.reducer")
    return tuple(models), reducer


def reduce_rewards(rewards: Sequence[float], reducer: Reducer) -> tuple[float, float]:
    """``(reward, disagreement)`` of the models' rewards (see the module docstring). ``rewards`` is non-empty."""
    if not rewards:
        raise ValueError("an ensemble needs at least one reward")
    if reducer == "mean":
        return statistics.fmean(rewards), max(rewards) - min(rewards)
    if reducer == "median":
        return float(statistics.median(rewards)), max(rewards) - min(rewards)
    counts: list[tuple[float, int]] = []
    for reward in rewards:
        for n, (value, count) in enumerate(counts):
            if abs(value - reward) <= _TOLERANCE:
                counts[n] = (value, count + 1)
                break
        else:
            counts.append((reward, 1))
    top = max(count for _, count in counts)
    chosen = min(value for value, count in counts if count == top)
    return chosen, 1.0 - top / len(rewards)
