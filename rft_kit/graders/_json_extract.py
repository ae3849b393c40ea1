"""Find the JSON document in model output (standard library only; embedded in exported ``python`` graders)."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)```", re.DOTALL)


def load_json(text: str, lenient: bool) -> tuple[Any, str | None]:
    """Parse ``text`` as JSON; with ``lenient``, fall back to the last fenced block or the outermost {...}/[...]
    span. Returns ``(value, None)`` or ``(None, reason)``."""
    try:
        return json.loads(text), None
    except ValueError as exc:
        strict_error = f"not valid JSON ({exc})"
    except RecursionError:
        return None, "the JSON is nested too deeply"
    if not lenient:
        return None, strict_error
    candidates = [m.group(1) for m in _FENCE.finditer(text)][::-1]
    for opener, closer in (("{", "}"), ("[", "]")):
        start, end = text.find(opener), text.rfind(closer)
        if start != -1 and end > start:
            candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate), None
        except (ValueError, RecursionError):
            continue
    return None, "no JSON document found in the output"
