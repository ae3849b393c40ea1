"""Find and parse the final numeric answer in model output, and compare it with the reference exactly.

This module is deliberately self-contained (standard library only, no imports from rft_kit): its source is embedded
verbatim in the ``python`` grader that the ``numeric`` grader compiles to for export, so the local grader and the
hosted one run the same code.

Accepted number forms: ``42``, ``-3.5``, ``+7``, ``.5``, ``1,234,567.89`` (comma thousands), ``1 234`` is *not* one
number, ``6.02e23``, ``3/4`` (a fraction), ``45%`` (as 45 or 0.45, by choice), and a LaTeX ``\\frac{3}{4}``. Where the
final answer is: ``\\boxed{...}`` if present, else the text after the last ``answer:``/``answer is``, else the last
number in the text (``mode="final"``); or strictly the last / first number, or the whole text.

Numbers are parsed to exact fractions, never floats: a float cannot tell 10**17 from 10**17 + 1, and a relative
tolerance pays an off-by-one answer once the integer is large enough (2203636303 for 2203636302 at ``rel_tol=1e-9``).
So an *integer* reference is matched within ``abs_tol`` only; ``rel_tol`` is for references that are fractions or
decimals, whose float rounding it absorbs. A reference holding several numbers (``3, 5, 7``) is a list: the answer
must give the same numbers in the same order, not merely end with the same last one.
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
# What may stand between the numbers of a list reference ("3, 5, 7", "[1; 2]", "2 and 3", "['1', '2']").
_LIST_GLUE_RE = re.compile(r"(?i)^(?:[\s,;()\[\]{}'\"]|\band\b)*$")
_INTEGER_RE = re.compile(r"^\s*[-+−]?\d[\d,]*\s*$")


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


def _clean(token: str) -> str:
    return token.strip().replace("−", "-").replace("$", "").strip()


def parse_exact(token: str, percent: str = "number") -> Fraction | None:
    """Parse one number token (``1,234.5``, ``3/4``, ``45%``, ``\\frac{3}{4}``) exactly; ``None`` if it is not one."""
    token = _clean(token)
    frac = _FRAC_RE.fullmatch(token)
    if frac:
        top, bottom = parse_exact(frac.group("a")), parse_exact(frac.group("b"))
        if top is None or bottom is None or bottom == 0:
            return None
        return top / bottom
    match = _NUMBER_RE.fullmatch(token)
    if match is None:
        return None
    return _value(match, percent)


def parse_number(token: str, percent: str = "number") -> float | None:
    """:func:`parse_exact` as a float (for display)."""
    value = parse_exact(token, percent)
    try:
        return None if value is None else float(value)
    except OverflowError:
        return None


def _value(match: re.Match[str], percent: str) -> Fraction | None:
    raw = match.group("num").replace(",", "").replace("−", "-")
    exponent = re.search(r"[eE]([-+]?\d+)$", raw)
    if exponent is not None and abs(int(exponent.group(1))) > 400:
        return None  # beyond any float, and Fraction would build a huge integer
    try:
        value = Fraction(raw)
    except (ValueError, ZeroDivisionError):
        return None
    den = match.group("den")
    if den is not None:
        bottom = Fraction(den)
        if bottom == 0:
            return None
        value = value / bottom
    if match.group("pct") and percent == "fraction":
        value = value / 100
    return value


def exact_numbers_in(text: str, percent: str = "number") -> list[Fraction]:
    """Every number in ``text``, in order (LaTeX fractions first become plain fractions)."""
    text = _FRAC_RE.sub(lambda m: f" {m.group('a')}/{m.group('b')} ", text.replace("−", "-"))
    out = []
    for match in _NUMBER_RE.finditer(text):
        value = _value(match, percent)
        if value is not None:
            out.append(value)
    return out


def numbers_in(text: str, percent: str = "number") -> list[float]:
    """:func:`exact_numbers_in` as floats."""
    return [float(v) for v in exact_numbers_in(text, percent)]


def _final_region(text: str) -> str | None:
    """Where a final answer is marked: the last ``\\boxed{}``, else the line after the last ``answer:``."""
    boxed = _boxed_contents(text)
    if boxed is not None:
        return boxed
    answers = list(_ANSWER_RE.finditer(text))
    if answers:
        return text[answers[-1].end() :].split("\n", 1)[0]
    return None


def extract_exact(text: str, mode: str = "final", percent: str = "number") -> Fraction | None:
    """The answer number of ``text`` by ``mode``: ``final``, ``last``, ``first`` or ``whole``; ``None`` if absent."""
    if mode == "whole":
        return parse_exact(text, percent)
    if mode == "final":
        boxed = _boxed_contents(text)
        if boxed is not None:
            found = exact_numbers_in(boxed, percent)
            return found[-1] if found else None
        answers = list(_ANSWER_RE.finditer(text))
        if answers:
            found = exact_numbers_in(text[answers[-1].end() :], percent)
            if found:
                return found[0]
    found = exact_numbers_in(text, percent)
    if not found:
        return None
    return found[0] if mode == "first" else found[-1]


def extract_number(text: str, mode: str = "final", percent: str = "number") -> float | None:
    """:func:`extract_exact` as a float."""
    value = extract_exact(text, mode, percent)
    return None if value is None else float(value)


def extract_list(text: str, mode: str = "final", percent: str = "number") -> list[Fraction]:
    """The numbers of a list answer: those in the marked final answer, else (``final``/``last``) those on the last
    line holding numbers, else (``first``) the first such line, or the whole text (``whole``)."""
    if mode == "whole":
        return exact_numbers_in(text, percent)
    if mode == "final":
        region = _final_region(text)
        if region is not None:
            found = exact_numbers_in(region, percent)
            if found:
                return found
    lines = [found for line in text.splitlines() if (found := exact_numbers_in(line, percent))]
    if not lines:
        return []
    return lines[0] if mode == "first" else lines[-1]


def _is_list(text: str, percent: str) -> bool:
    """``text`` is two or more numbers with only list glue between them (``-0.15, 0.0``)."""
    if len(exact_numbers_in(text, percent)) < 2:
        return False
    glue = _NUMBER_RE.sub(" ", _FRAC_RE.sub(" ", text.replace("−", "-").replace("$", "")))
    return bool(_LIST_GLUE_RE.match(glue.rstrip(" .")))


def hedged_list(text: str, mode: str = "final", percent: str = "number") -> bool:
    """The answer is a list of numbers (several candidates), so it cannot be one number: the marked final answer,
    else the last line holding numbers, is nothing but numbers and list glue."""
    if mode == "whole":
        return _is_list(text, percent)
    region = _final_region(text) if mode == "final" else None
    if region is None:
        lines = [line for line in text.splitlines() if exact_numbers_in(line, percent)]
        if not lines:
            return False
        region = lines[0] if mode == "first" else lines[-1]
    return _is_list(region, percent)


def parse_reference(text: str, percent: str = "number") -> tuple[list[Fraction], bool] | None:
    """The reference as ``(numbers, is_integer)``: one number, or a list (``3, 5, 7``) of several; ``None`` when it
    is neither. ``is_integer`` says the reference is written as an integer (matched within ``abs_tol`` only)."""
    single = parse_exact(text, percent)
    if single is not None:
        return [single], bool(_INTEGER_RE.match(_clean(text)))
    found = exact_numbers_in(text, percent)
    if len(found) > 1:
        glue = _NUMBER_RE.sub(" ", _FRAC_RE.sub(" ", text.replace("−", "-").replace("$", "")))
        if _LIST_GLUE_RE.match(glue):
            return found, all(v.denominator == 1 for v in found)
    fallback = extract_exact(text, "final", percent)
    if fallback is None:
        return None
    return [fallback], False


def numbers_match(
    value: Fraction | float, reference: Fraction | float, abs_tol: float, rel_tol: float, integer: bool = False
) -> bool:
    """``value`` equals ``reference`` within ``abs_tol`` (and, unless the reference is an integer, ``rel_tol``)."""
    if not (math.isfinite(value) and math.isfinite(reference)):
        return False
    diff = abs(Fraction(value) - Fraction(reference))
    if diff <= Fraction(abs_tol):
        return True
    if integer:
        return False
    return diff <= Fraction(rel_tol) * max(abs(Fraction(value)), abs(Fraction(reference)))


def _show(value: Fraction) -> object:
    """A JSON-friendly form of ``value`` for metadata (a string when no float can hold it)."""
    try:
        return float(value) if value.denominator != 1 or abs(value) < 2**53 else int(value)
    except OverflowError:
        return str(value)


def grade_numbers(
    answer_text: str, reference_text: str, mode: str, percent: str, abs_tol: float, rel_tol: float
) -> tuple[float, dict[str, object]]:
    """The reward and what was compared, for the local grader and its exported twin alike.

    Raises:
        ValueError: the reference is not a number (a broken item, not a wrong answer).
    """
    parsed = parse_reference(reference_text, percent)
    if parsed is None:
        raise ValueError(f"the reference {reference_text[:80]!r} is not a number; fix the item")
    reference, integer = parsed
    shown_ref: object = _show(reference[0]) if len(reference) == 1 else [_show(v) for v in reference]
    if len(reference) == 1:
        value = extract_exact(answer_text, mode, percent)
        if value is None:
            return 0.0, {"extracted": None, "reference": shown_ref, "reason": "no number"}
        if hedged_list(answer_text, mode, percent):  # "-0.15, 0.0" for 0.0: a list is not the number
            listed = [_show(v) for v in extract_list(answer_text, mode, percent)]
            return 0.0, {"extracted": listed, "reference": shown_ref, "reason": "a list for a single number"}
        hit = numbers_match(value, reference[0], abs_tol, rel_tol, integer)
        return (1.0 if hit else 0.0), {"extracted": _show(value), "reference": shown_ref}
    values = extract_list(answer_text, mode, percent)
    if not values:
        return 0.0, {"extracted": None, "reference": shown_ref, "reason": "no number"}
    hit = len(values) == len(reference) and all(
        numbers_match(v, r, abs_tol, rel_tol, r.denominator == 1 and integer)
        for v, r in zip(values, reference, strict=True)
    )
    return (1.0 if hit else 0.0), {"extracted": [_show(v) for v in values], "reference": shown_ref}
