"""Turn a local grader config into the one the hosted service receives.

* ``cases``/``check`` (file-only) and every ``rft_options`` are stripped: the service rejects unknown fields.
* An ``rft_options`` value that changes what the grader computes (anything but the hosted default, e.g.
  ``fuzzy_scorer: ratio``) refuses the export, because the hosted grader would score differently from the local one.
  Options that only steer local execution (endpoints, retries, caches, budgets, timeouts) are dropped silently.
* Extension graders are compiled through :meth:`~rft_kit.graders.base.Grader.to_hosted` (a ``python`` grader) or
  refused with its reason.
* The result is validated again with the RFT placement rules, so only hosted types reach ``grader.json``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from ..errors import ConfigError
from ..graders.loading import build_grader
from ..graders.registry import get_spec
from ..graders.validate import validate_grader_config
from ..similarity import OPTION_PROPERTIES
from .issues import Issues

__all__ = ["EXECUTION_OPTIONS", "SEMANTIC_DEFAULTS", "hosted_grader"]

# The hosted behaviour each semantic option reproduces by default (their schemas document these defaults).
SEMANTIC_DEFAULTS: Final[dict[str, Any]] = {
    "template_values": "json",
    "json_descent": True,
    "case_fold": "lower",
    "like_wildcards": False,
    "sub_error": "error",
    "harden": False,
    "ensemble": None,  # one hosted judge cannot be several
    "context_budget": None,
    "overflow": "truncate",
    **{name: spec["default"] for name, spec in OPTION_PROPERTIES.items() if "default" in spec},
}

# Options that change how the grader runs here, never what it computes.
EXECUTION_OPTIONS: Final = frozenset(
    {
        "base_url",
        "api_key_env",
        "concurrency",
        "max_retries",
        "timeout_s",
        "max_reply_bytes",
        "cache",
        "structured_output",
        "budget",
        "prices",
        "memory_mb",
        "output_bytes",
        "embedding_model",
        "embedding_base_url",
        "embedding_api_key_env",
        "embedding_batch_size",
    }
)


def hosted_grader(config: Mapping[str, Any], issues: Issues, *, allow_endpoint: bool = False) -> dict[str, Any] | None:
    """The hosted config for a validated local ``config``, or ``None`` when an error was recorded in ``issues``."""
    errors_before = issues.error_count
    out = _compile(config, "", issues)
    if out is None or issues.error_count > errors_before:
        return None
    if out.get("type") == "endpoint" and allow_endpoint:
        return out
    try:
        validate_grader_config(out, placement="rft")
    except ConfigError as exc:
        issues.error(f"grader: {exc.path}", f"the compiled grader is not a valid hosted grader: {exc.detail}")
        return None
    return out


def _compile(config: Mapping[str, Any], path: str, issues: Issues) -> dict[str, Any] | None:
    where = f"grader: {path}" if path else "grader"
    _check_options(config, path, issues)
    type_ = config["type"]
    if type_ == "multi":
        graders: dict[str, Any] = {}
        for key, sub in config["graders"].items():
            compiled = _compile(sub, f"{path}.graders.{key}" if path else f"graders.{key}", issues)
            if compiled is not None:
                graders[key] = compiled
        out = _strip(config)
        out["graders"] = graders
        return out
    if get_spec(type_).hosted:
        return _strip(config)
    grader = build_grader(config, path=path)
    try:
        python = grader.to_hosted()
    except ConfigError as exc:
        issues.error(f"{where}.type", exc.detail)
        return None
    except ValueError as exc:  # e.g. the compiled source is over the 256 kB limit
        issues.error(f"{where}.type", f"cannot compile {type_!r} to a python grader: {exc}")
        return None
    if python is None:
        issues.error(
            f"{where}.type",
            f"extension grader type {type_!r} has no hosted equivalent",
            "replace it with a hosted grader (or a python grader) for OpenAI; keep it for open-source trainers",
        )
        return None
    if "pass_threshold" in config:
        python["pass_threshold"] = config["pass_threshold"]
    return python


def _strip(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in config.items() if k != "rft_options"}


def _check_options(config: Mapping[str, Any], path: str, issues: Issues) -> None:
    options = config.get("rft_options") or {}
    prefix = f"grader: {path}.rft_options" if path else "grader: rft_options"
    for name, value in options.items():
        if name in EXECUTION_OPTIONS:
            continue
        if name not in SEMANTIC_DEFAULTS:
            issues.error(f"{prefix}.{name}", "unknown option; cannot tell whether the hosted grader would agree")
        elif value != SEMANTIC_DEFAULTS[name]:
            issues.error(
                f"{prefix}.{name}",
                f"{value!r} changes how this grader scores (the hosted grader uses {SEMANTIC_DEFAULTS[name]!r}); "
                "the exported job would be trained on different rewards than you checked locally",
                f"remove rft_options.{name} (or set it to {SEMANTIC_DEFAULTS[name]!r}) and re-check the grader",
            )
