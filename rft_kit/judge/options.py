"""The ``rft_options`` of model graders that steer the judge engine, parsed and checked once at grader load."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from ..errors import ConfigError
from ..http import DEFAULT_MAX_REPLY_BYTES
from ..openai_client import LOCAL
from .ledger import Price

__all__ = ["DEFAULT_BASE_URL", "JudgeOptions", "StructuredOutput", "cache_dir", "sampling_params"]

DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"

StructuredOutput = Literal["auto", "json_schema", "json_object", "none"]
_STRUCTURED: Final = ("auto", "json_schema", "json_object", "none")

# Hosted spelling -> chat completions spelling (docs/hosted-semantics.md: the plural is the grader's, not the SDK's).
_PARAM_NAMES: Final = {
    "seed": "seed",
    "top_p": "top_p",
    "temperature": "temperature",
    "max_completions_tokens": "max_completion_tokens",
    "reasoning_effort": "reasoning_effort",
}


LOCAL_BASE_URL: Final = LOCAL
"""``base_url: local`` points a judge at rft-kit's local app with its SIMULATED judge, reached in-process
(:mod:`rft_kit.openai_client`; no server is started): for checking a grader's wiring offline (``rft check`` in CI),
never for real grading."""


def cache_dir() -> Path:
    """rft-kit's cache directory: ``$RFT_KIT_CACHE``, else ``$XDG_CACHE_HOME/rft_kit``, else ``~/.cache/rft_kit``."""
    if os.environ.get("RFT_KIT_CACHE"):
        return Path(os.environ["RFT_KIT_CACHE"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "rft_kit"
    return Path.home() / ".cache" / "rft_kit"


def sampling_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The chat completions arguments for hosted ``sampling_params``; ``null`` values are left out."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if value is not None and key in _PARAM_NAMES:
            out[_PARAM_NAMES[key]] = value
    return out


def _get(options: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any, path: str) -> Any:
    value = options.get(key)
    if value is None:
        return default
    # bool is an int subclass: `concurrency: true` is a mistake, not 1.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ConfigError(f"must be a {names}, got {value!r}", path=f"{path}.{key}")
    return value


def _prices(value: Any, path: str) -> dict[str, Price]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError("must map model ids to {input, output, cached_input} USD per 1M tokens", path=path)
    prices: dict[str, Price] = {}
    for model, entry in value.items():
        if not isinstance(entry, Mapping) or not all(
            isinstance(entry.get(k), int | float) and not isinstance(entry.get(k), bool) for k in ("input", "output")
        ):
            raise ConfigError("needs numeric 'input' and 'output' (USD per 1M tokens)", path=f"{path}.{model}")
        cached = entry.get("cached_input", entry["input"])
        prices[str(model)] = Price(float(entry["input"]), float(cached), float(entry["output"]))
    return prices


@dataclass(frozen=True)
class JudgeOptions:
    """How a model grader reaches its judge.

    Attributes:
        base_url: the OpenAI-compatible endpoint (option, else ``$OPENAI_BASE_URL``, else OpenAI); ``local``: the
            in-process SIMULATED judge.
        api_key_env: environment variable holding the key (a loopback endpoint without one gets a placeholder).
        concurrency: most calls in flight at once, per engine.
        max_retries: retries after the first attempt, on 429, 5xx, timeouts and connection errors.
        timeout_s: seconds per attempt, for the whole attempt (connect, headers and body), not per read.
        max_reply_bytes: most bytes of one reply, counted after decompression (default 16 MiB); a larger reply
            fails the call.
        cache: read and write the on-disk reply cache.
        cache_path: the sqlite file of the cache (``<cache dir>/judge-cache.sqlite``).
        structured_output: ``auto`` (json_schema, falling back to json_object then plain text when the endpoint
            rejects it), or one of ``json_schema`` / ``json_object`` / ``none`` only.
        harden: delimit and neutralise sample text in the judge prompt (:mod:`rft_kit.judge.harden`).
        budget_tokens / budget_usd: stop calling once this many tokens / dollars were spent by this grader.
        prices: USD per 1M tokens by model id, over the built-in table.
        context_budget: estimated prompt tokens one judge call may use (``None``: no limit); what happens to a
            longer pair is ``overflow`` (:mod:`rft_kit.judge.budget`).
        overflow: ``truncate`` (cut the middle, keep the final answer) or ``error``.
    """

    base_url: str = DEFAULT_BASE_URL
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 16
    max_retries: int = 4
    timeout_s: float = 60.0
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES
    cache: bool = True
    cache_path: Path = field(default_factory=lambda: cache_dir() / "judge-cache.sqlite")
    structured_output: StructuredOutput = "auto"
    harden: bool = False
    budget_tokens: int | None = None
    budget_usd: float | None = None
    prices: Mapping[str, Price] = field(default_factory=dict)
    context_budget: int | None = None
    overflow: Literal["truncate", "error"] = "truncate"

    @classmethod
    def from_config(
        cls, options: Mapping[str, Any], *, harden_default: bool, path: str = "rft_options"
    ) -> JudgeOptions:
        """Parse ``rft_options``.

        Raises:
            ConfigError: a wrong type or an out-of-range value (names the option).
        """
        base_url = _get(options, "base_url", str, None, path) or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        structured = _get(options, "structured_output", str, "auto", path)
        if structured not in _STRUCTURED:
            raise ConfigError(
                f"must be one of {', '.join(_STRUCTURED)}, got {structured!r}", path=f"{path}.structured_output"
            )
        budget = options.get("budget") or {}
        if not isinstance(budget, Mapping):
            raise ConfigError("must be an object {tokens?, usd?}", path=f"{path}.budget")
        parsed = cls(
            base_url=str(base_url).rstrip("/"),
            api_key_env=_get(options, "api_key_env", str, "OPENAI_API_KEY", path),
            concurrency=_get(options, "concurrency", int, 16, path),
            max_retries=_get(options, "max_retries", int, 4, path),
            timeout_s=float(_get(options, "timeout_s", (int, float), 60.0, path)),
            max_reply_bytes=_get(options, "max_reply_bytes", int, DEFAULT_MAX_REPLY_BYTES, path),
            cache=_get(options, "cache", bool, True, path),
            structured_output=structured,
            harden=_get(options, "harden", bool, harden_default, path),
            budget_tokens=_get(budget, "tokens", int, None, f"{path}.budget"),
            budget_usd=_float_or_none(_get(budget, "usd", (int, float), None, f"{path}.budget")),
            prices=_prices(options.get("prices"), f"{path}.prices"),
            context_budget=_get(options, "context_budget", int, None, path),
            overflow=_get(options, "overflow", str, "truncate", path),
        )
        if parsed.overflow not in ("truncate", "error"):
            raise ConfigError(f"must be 'truncate' or 'error', got {parsed.overflow!r}", path=f"{path}.overflow")
        if parsed.context_budget is not None and parsed.context_budget < 64:
            raise ConfigError(f"must be >= 64 tokens, got {parsed.context_budget}", path=f"{path}.context_budget")
        for key, value, low in (
            ("concurrency", parsed.concurrency, 1),
            ("max_retries", parsed.max_retries, 0),
            ("max_reply_bytes", parsed.max_reply_bytes, 1024),
        ):
            if value < low:
                raise ConfigError(f"must be >= {low}, got {value}", path=f"{path}.{key}")
        if parsed.timeout_s <= 0:
            raise ConfigError(f"must be > 0, got {parsed.timeout_s}", path=f"{path}.timeout_s")
        return parsed


def _float_or_none(value: int | float | None) -> float | None:
    return None if value is None else float(value)
