"""When to retry a failed judge call, and how long to wait first."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from typing import Final

__all__ = ["MAX_WAIT_S", "backoff_s", "is_retryable_status", "retry_after_s"]

BASE_S: Final = 0.5
CAP_S: Final = 8.0
MAX_WAIT_S: Final = 60.0
"""A server-requested wait longer than this is cut to it, so one header cannot stall a run for hours."""


def is_retryable_status(status: int) -> bool:
    """Timeouts, conflicts, rate limits and server errors are worth retrying; other 4xx are not."""
    return status in (408, 409, 429) or status >= 500


def backoff_s(attempt: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: ``min(8, 0.5 * 2**attempt)`` scaled by a random factor in [0.5, 1)."""
    delay = min(CAP_S, BASE_S * 2.0**attempt)
    draw = rng.random() if rng is not None else random.random()
    return delay * (0.5 + draw / 2)


def retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    """The wait a response asks for: ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return min(MAX_WAIT_S, max(0.0, float(raw_ms) / 1000.0))
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return min(MAX_WAIT_S, max(0.0, float(raw)))
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        return min(MAX_WAIT_S, max(0.0, email.utils.mktime_tz(parsed) - time.time()))
