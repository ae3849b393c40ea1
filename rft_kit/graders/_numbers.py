"""Find and parse the final numeric answer in model output.

This module is deliberately self-contained (standard library only, no imports from rft_kit): its source is embedded
verbatim in the ``python`` grader that the ``numeric`` grader compiles to for export, so the local grader and the
hosted one run the same code.

Accepted number forms: ``42``, ``-3.5``, ``+7``, ``.5``, ``1,234,567.89`` (comma thousands), ``1 234`` is *not* one
number, ``6.02e23``, ``3/4`` (a fraction), ``45%`` (as 45 or 0.45, by choice), and a LaTeX ``\\frac{3}{4}``. Where the
final answer is: ``\\boxed{...}`` if present, else the text after the last ``answer:``/``answer is``, else the last
number in the text (``mode="final"``); or strictly the last / first number, or the whole text.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

_NUMBER_RE = re.compile(
    r"(?<![\w.])(?P<num>[-+−]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)"
    r"(?:\s*/\s*(?P<den>\d+(?:\.\d+)?))?(?P<pct>\s*%)?"
)
_FRAC_RE = re.compile(r"\\[dt]?frac\s*\{\s*(?P<a>[-+]?[\d.,]+)\s*\}\s*\{\s*(?P<b>[-+]?[\d.,]+)\s*\}")
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{")
_ANSWER_RE = re.compile(r"(?i)(?:final\s+answer|answer)\s*(?:is|:|=)\s*")


def _boxed_contents(text: str) -> str | None:
    """The contents of the last ``\\boxed{...}``, with nested braces balanced."""
    matches = list(_BOXED_RE.finditer(text))
    if not matches:
        return None
    start = matches[-1].end()
    depth = 1
    for pos in range(start, len(text)):
        char = text[pos]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start:pos]
    return None


def parse_number(token: str, percent: str = "number") -> float | None:
    """Parse one number token (``1,234.5``, ``3/4``, ``45%``, ``\\frac{3}{4}``); ``None`` if it is not one."""
    token = token.strip().replace("−", "-").replace("$", "").strip()
    frac = _FRAC_RE.fullmatch(token)
    if frac:
        top, bottom = parse_number(frac.group("a")), parse_number(frac.group("b"))
        if top is None or bottom is None or bottom == 0:
            return None
        return top / bottom
    match = _NUMBER_RE.fullmatch(token)
    if match is None:
        return None
    return _value(match, percent)


def _value(match: re.Match[str], percent: str) -> float | None:
    raw = match.group("num").replace(",", "").replace("−", "-")
    try:
        value = float(Fraction(raw)) if "e" not in raw.lower() else float(raw)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    den = match.group("den")
    if den is not None:
        try:
            bottom = float(den)
        except ValueError:
            return None
        if bottom == 0:
            return None
        value = value / bottom
    if match.group("pct") and percent == "fraction":
        value = value / 100.0
    return value if math.isfinite(value) else None


def numbers_in(text: str, percent: str = "number") -> list[float]:
    """Every number in ``text``, in order (LaTeX fractions first become plain fractions)."""
    text = _FRAC_RE.sub(lambda m: f" {m.group('a')}/{m.group('b')} ", text.replace("−", "-"))
    out = []
    for match in _NUMBER_RE.finditer(text):
        value = _value(match, percent)
        if value is not None:
            out.append(value)
    return out


def extract_number(text: str, mode: str = "final", percent: str = "number") -> float | None:
    """The answer number of ``text`` by ``mode``: ``final``, ``last``, ``first`` or ``whole``; ``None`` if absent."""
    if mode == "whole":
        return parse_number(text, percent)
    if mode == "final":
        boxed = _boxed_contents(text)
        if boxed is not None:
            found = numbers_in(boxed, percent)
            return found[-1] if found else None
        answers = list(_ANSWER_RE.finditer(text))
        if answers:
            found = numbers_in(text[answers[-1].end() :], percent)
            if found:
                return found[0]
    found = numbers_in(text, percent)
    if not found:
        return None
    return found[0] if mode == "first" else found[-1]


def numbers_match(value: float, reference: float, abs_tol: float, rel_tol: float) -> bool:
    return math.isclose(value, reference, rel_tol=rel_tol, abs_tol=abs_tol)
