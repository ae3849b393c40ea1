"""The math-verify call that runs inside a killable helper process (see ``rft_kit.helper_process``).

Two guards sit on top of math-verify, for answers it reads in ways that pay wrong answers:

* **Words.** math-verify reads ``unsexlike`` as the product of the symbols u, n, s, e, x, l, i, k, e, so any
  anagram is "equal". When either side holds a word (three or more letters that are not a LaTeX command or a
  function name such as ``sin``), the words must be the same, in the same order (case-insensitive).
* **Lists.** A reference written as a plain comma list (``3, 5, 7``) is an ordered list: math-verify turns it into a
  set, so any permutation would pass. The answer must list equal elements in the same order. A reference written as
  a set (``\\{3, 5, 7\\}``) keeps math-verify's unordered comparison; ``lists: unordered`` restores it for plain lists.
"""

from __future__ import annotations

import re
from typing import Any

# Multi-letter names that stand for functions or constants in plain-text math (they are not words).
_MATH_NAMES = frozenset(
    {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "log", "ln"}
    | {"lg", "exp", "sqrt", "lim", "max", "min", "gcd", "lcm", "mod", "det", "deg", "inf", "infty", "pi", "and", "or"}
)
_COMMAND = re.compile(r"\\[A-Za-z]+")
_WORD = re.compile(r"[A-Za-z]{3,}")
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_ANSWER = re.compile(r"(?i)(?:final\s+answer|answer)\s*(?:is|:|=)\s*")
_OPEN, _CLOSE = "([{", ")]}"


def words(text: str) -> list[str]:
    """The words of ``text``: letter runs outside LaTeX commands, casefolded, without math function names."""
    found = (w.casefold() for w in _WORD.findall(_COMMAND.sub(" ", text)))
    return [w for w in found if w not in _MATH_NAMES]


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def top_level_items(text: str) -> list[str]:
    """``text`` split at commas and semicolons that are not inside brackets, braces or parentheses, and are not
    thousands separators (``7,425,000`` is one number; ``1,22`` is a list of two)."""
    items: list[str] = []
    depth, start = 0, 0
    thousands = {m.start() for m in _THOUSANDS.finditer(text)}
    for pos, char in enumerate(text):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(0, depth - 1)
        elif char in ",;" and depth == 0 and pos not in thousands:
            items.append(text[start:pos])
            start = pos + 1
    items.append(text[start:])
    return [i.strip() for i in items]


def _strip_math(text: str) -> str:
    text = text.strip().strip("$").strip()
    for wrapper in (r"\(", r"\["):
        if text.startswith(wrapper):
            text = text[2:-2].strip() if text.endswith(wrapper.replace("(", ")").replace("[", "]")) else text[2:]
    return text.rstrip(" .").strip()


def _all_boxed(text: str) -> list[str]:
    """The contents of every ``\\boxed{...}``, in order, with nested braces balanced."""
    out = []
    for match in _BOXED.finditer(text):
        start, depth = match.end(), 1
        for pos in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[pos], 0)
            if depth == 0:
                out.append(text[start:pos])
                break
    return out


def _unwrap(text: str) -> str:
    """One outer ``\\{...\\}``, ``{...}``, ``[...]`` or ``(...)`` removed (for comparing with a plain list)."""
    text = text.strip()
    for left, right in ((r"\{", r"\}"), (r"\left\{", r"\right\}"), ("{", "}"), ("[", "]"), ("(", ")")):
        if text.startswith(left) and text.endswith(right):
            return text[len(left) : -len(right)].strip()
    return text


def _list_answer(answer: str, require_anchor: bool) -> str | None:
    """The text of a list answer: the ``\\boxed{}`` contents (several boxes are the elements, in order), else the
    line after the last "answer is"."""
    boxed = _all_boxed(answer)
    if len(boxed) == 1:
        return boxed[0]
    if boxed:
        return ", ".join(b for b in boxed if b.strip())
    marks = list(_ANSWER.finditer(answer))
    if marks:
        return _strip_math(answer[marks[-1].end() :].split("\n", 1)[0])
    if require_anchor:
        return None
    lines = [line for line in answer.splitlines() if line.strip()]
    return _strip_math(lines[-1]) if lines else None


def _same(a: str, b: str, float_rounding: int) -> bool:
    from math_verify import parse, verify

    if words(a) or words(b):
        if words(a) != words(b):
            return False
        if _plain(a) == _plain(b):
            return True
    gold = parse(f"${a}$", parsing_timeout=None)
    pred = parse(f"${b}$", parsing_timeout=None)
    return bool(gold and pred and verify(gold, pred, float_rounding=float_rounding, timeout_seconds=None))


def _plain(text: str) -> str:
    """Text for comparing word answers: LaTeX text wrappers, spaces and case dropped."""
    text = re.sub(r"\\(?:text|textbf|mathrm|mathbf|operatorname)\s*\{([^{}]*)\}", r"\1", text)
    return re.sub(r"[\s$.]+", "", text).casefold()


def verify_answer(
    reference: str, answer: str, float_rounding: int, require_anchor: bool = False, lists: str = "ordered"
) -> dict[str, Any]:
    """Parse both sides with math-verify and compare them; our caller enforces the timeout, so math-verify's own
    ``signal.alarm`` timeouts are switched off (they fail off the main thread).

    With ``require_anchor`` the answer must be marked (``\\boxed{}`` or "final answer is"): unanchored text that lists
    several candidates would otherwise get credit for whichever one math-verify's extraction prefers.
    """
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    bare = _strip_math(reference)
    elements = top_level_items(bare)
    if lists == "ordered" and len(elements) > 1 and all(elements):
        found = _list_answer(answer, require_anchor)
        if found is None:
            return {"gold": bare, "parsed": None, "equal": False, "reason": "no marked list answer"}
        given = top_level_items(found)
        if len(given) == 1:
            given = top_level_items(_unwrap(found))
        equal = len(given) == len(elements) and all(
            _same(g, p, float_rounding) for g, p in zip(elements, given, strict=True)
        )
        return {"gold": bare, "parsed": found, "equal": equal, "compared": "ordered list"}

    # A bare LaTeX reference ("\\pi \\cdot 2") needs math delimiters, or the plain-expression extractor grabs "2";
    # so does a plain comma list, or it grabs the last element.
    # A reference that marks its own answer (\\boxed) is parsed as written.
    looks_latex = (
        "$" not in reference
        and "\\boxed" not in reference
        and (any(c in reference for c in "\\^{") or len(elements) > 1)
    )
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
    gold_text, parsed_text = str(gold[-1]), str(parsed[-1])
    if words(gold_text) or words(parsed_text):
        if words(gold_text) != words(parsed_text):
            return {"gold": gold_text, "parsed": parsed_text, "equal": False, "reason": "different words"}
        if _plain(gold_text) == _plain(parsed_text):
            return {"gold": gold_text, "parsed": parsed_text, "equal": True}
    equal = verify(gold, parsed, float_rounding=float_rounding, timeout_seconds=None)
    return {"gold": gold_text, "parsed": parsed_text, "equal": bool(equal)}


def warm_up() -> None:
    """Import math-verify and SymPy before the helper reports ready (they take most of a second)."""
    from math_verify import parse, verify

    verify(parse("$1$", parsing_timeout=None), parse("1", parsing_timeout=None), timeout_seconds=None)
