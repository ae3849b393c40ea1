"""RFT hyperparameters: parse ``name=value`` pairs and check them against the hosted ranges (docs/hosted-semantics.md:
hyperparameters).

The SDK does not check names, so a typo such as the cookbook's ``etest_samples`` is silently ignored by the service;
here an unknown name is an error with the closest known name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .issues import Issues

__all__ = ["HYPERPARAMETERS", "check_hyperparameters", "parse_hyper"]


@dataclass(frozen=True)
class _Range:
    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = "an integer" if self.kind is int else "a number"
        low = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        high = "" if self.high is None else f"<= {self.high:g}"
        return f"{kind} {' and '.join(p for p in (low, high) if p)}".strip()

    def accepts(self, value: Any) -> bool:
        if self.choices:
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.kind is int and not isinstance(value, int):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high


HYPERPARAMETERS: Final[dict[str, _Range]] = {
    "n_epochs": _Range(int, 1, 50),
    "batch_size": _Range(int, 1, 256),
    "learning_rate_multiplier": _Range(float, 0, None, low_open=True),
    "compute_multiplier": _Range(float, 0.00001, 10, low_open=True),
    "eval_interval": _Range(int, 1),
    "eval_samples": _Range(int, 1),
    "reasoning_effort": _Range(str, choices=("default", "low", "medium", "high")),
}


def parse_hyper(pairs: Iterable[str]) -> dict[str, Any]:
    """Parse ``["n_epochs=2", "learning_rate_multiplier=0.5"]`` into typed values (``auto`` stays a string).

    Raises:
        ValueError: a pair without ``=``.
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--hyper expects name=value, got {pair!r}")
        out[name.strip()] = _coerce(raw.strip())
    return out


def _coerce(raw: str) -> Any:
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


def check_hyperparameters(values: Mapping[str, Any], issues: Issues) -> None:
    """Record unknown names (with a did-you-mean) and out-of-range values; ``"auto"`` is always allowed."""
    for name, value in values.items():
        where = f"hyperparameters.{name}"
        spec = HYPERPARAMETERS.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, HYPERPARAMETERS, n=1, cutoff=0.6)
            fix = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(HYPERPARAMETERS)}"
            issues.error(where, f"unknown hyperparameter {name!r} (the service would ignore it silently)", fix)
            continue
        if value == "auto" and spec.choices:
            # The OpenAPI spec allows "auto" everywhere, but the SDK's Literal for reasoning_effort does not.
            issues.error(where, "'auto' is not accepted by the openai SDK here", f"use {spec.choices[0]!r}")
            continue
        if value == "auto" or spec.accepts(value):
            continue
        if spec.kind is int and isinstance(value, float) and value.is_integer() and spec.accepts(int(value)):
            issues.error(where, f"{value!r} must be an integer", f"write {int(value)}")
            continue
        issues.error(where, f"{value!r} is out of range; expected {spec.describe()} or 'auto'")
