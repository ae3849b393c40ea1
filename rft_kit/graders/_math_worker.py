"""The math-verify call that runs inside a killable helper process (see ``rft_kit.helper_process``)."""

from __future__ import annotations

from typing import Any


def verify_answer(reference: str, answer: str, float_rounding: int, require_anchor: bool = False) -> dict[str, Any]:
    """Parse both sides with math-verify and compare them; our caller enforces the timeout, so math-verify's own
    ``signal.alarm`` timeouts are switched off (they fail off the main thread).

    With ``require_anchor`` the answer must be marked (``\\boxed{}`` or "final answer is"): unanchored text that lists
    several candidates would otherwise get credit for whichever one math-verify's extraction prefers.
    """
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    # A bare LaTeX reference ("\\pi \\cdot 2") needs math delimiters, or the plain-expression extractor grabs "2".
    looks_latex = "$" not in reference and any(c in reference for c in "\\^{")
    gold = parse(f"${reference}$" if looks_latex else reference, parsing_timeout=None)
    if not gold and "$" not in reference:
        gold = parse(f"${reference}$" if not looks_latex else reference, parsing_timeout=None)
    if not gold:
        return {"gold": None, "parsed": None, "equal": False}
    if require_anchor:
        anchored = [
            LatexExtractionConfig(try_extract_without_anchor=False),
            ExprExtractionConfig(try_extract_without_anchor=False),
        ]
        parsed = parse(answer, extraction_config=anchored, parsing_timeout=None)
    else:
        parsed = parse(answer, parsing_timeout=None)
    if not parsed:
        return {"gold": str(gold[-1]), "parsed": None, "equal": False}
    equal = verify(gold, parsed, float_rounding=float_rounding, timeout_seconds=None)
    return {"gold": str(gold[-1]), "parsed": str(parsed[-1]), "equal": bool(equal)}


def warm_up() -> None:
    """Import math-verify and SymPy before the helper reports ready (they take most of a second)."""
    from math_verify import parse, verify

    verify(parse("$1$", parsing_timeout=None), parse("1", parsing_timeout=None), timeout_seconds=None)
