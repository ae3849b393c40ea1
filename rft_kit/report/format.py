"""Number formatting shared by the HTML, Markdown and terminal renderings (``n/a`` for missing values)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["fmt", "fmt_ci", "fmt_pct"]


def fmt(value: float | None, *, digits: int = 3, signed: bool = False, suffix: str = "") -> str:
    """``value`` to ``digits`` decimals (``+`` sign when ``signed``), or ``n/a``."""
    if value is None:
        return "n/a"
    return f"{value:{'+' if signed else ''}.{digits}f}{suffix}"


def fmt_pct(value: float | None, *, digits: int = 1) -> str:
    """A share as a percentage, or ``n/a``."""
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def fmt_ci(interval: Mapping[str, Any] | None, *, pct: bool = False) -> str:
    """``+0.120 [+0.050, +0.190]`` (percentage points with ``pct``), or ``n/a``."""
    if interval is None:
        return "n/a"
    if pct:
        return f"{100 * interval['mean']:+.1f} pp [{100 * interval['low']:+.1f}, {100 * interval['high']:+.1f}]"
    return f"{interval['mean']:+.3f} [{interval['low']:+.3f}, {interval['high']:+.3f}]"
