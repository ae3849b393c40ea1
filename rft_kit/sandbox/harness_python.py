"""Harness for the hosted-style ``python`` grader: exec the grader source, call ``grade(sample, item)``.

Runs in the job child after the privilege drop. The parent trusts nothing but the emitted JSON value:
``{"ok": true, "reward": float}`` or ``{"ok": false, "error": str, "traceback": str}``. The validation here (a real,
finite number; not a bool, not a string) is repeated by the grader in our process.
"""

from __future__ import annotations

import inspect
import math
import numbers
import sys
import traceback
import types
from typing import Any

__all__ = ["check_reward", "main"]

_TB_CHARS = 4000


def check_reward(value: Any) -> float | str:
    """``float(value)`` if it is a usable reward, else the reason it is not.

    Accepted: ``int`` and ``float`` (and their numpy counterparts, which register as ``numbers.Real``). Rejected:
    ``bool`` (a grader returning ``True`` almost always has a bug), strings (even numeric ones: the hosted grader says
    "invalid float value"), ``None``, NaN and infinities.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or type(value).__name__ == "bool_":
        return f"grade() must return a float, got {type(value).__name__}: {_short_repr(value)}"
    number = float(value)
    if not math.isfinite(number):
        return f"grade() returned {number}, which is not a finite number"
    return number


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<unprintable {type(value).__name__}>"
    return text if len(text) <= 200 else text[:197] + "..."


def _tail(text: str) -> str:
    return text if len(text) <= _TB_CHARS else "..." + text[-_TB_CHARS:]


def _user_traceback(exc: BaseException) -> str:
    """The traceback without this harness's own frame: only the grader's code, as the hosted service shows it."""
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    try:
        return _tail("".join(traceback.format_exception(type(exc), exc, tb)))
    except BaseException:
        return f"{type(exc).__name__} (traceback unavailable)"


def run_grader(source: str, sample: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """Exec ``source`` as a fresh module and call its ``grade``; never raises."""
    module = types.ModuleType("grader")
    module.__file__ = "grader.py"
    sys.modules["grader"] = module
    try:
        exec(compile(source, "grader.py", "exec"), module.__dict__)
        grade = module.__dict__.get("grade")
        if not callable(grade):
            return {"ok": False, "error": "the source does not define a function grade(sample, item)", "traceback": ""}
        try:
            inspect.signature(grade).bind(sample, item)
        except TypeError as exc:
            return {"ok": False, "error": f"grade() cannot be called as grade(sample, item): {exc}", "traceback": ""}
        except ValueError:
            pass  # no signature to inspect (a builtin): just call it
        value = grade(sample, item)
    except SystemExit as exc:
        return {
            "ok": False,
            "error": f"the grader called exit({exc.code!r})",
            "traceback": _user_traceback(exc),
        }
    except BaseException as exc:
        return {
            "ok": False,
            "error": f"{type(exc).__name__}: {_short_repr(str(exc))[1:-1]}",
            "traceback": _user_traceback(exc),
        }
    checked = check_reward(value)
    if isinstance(checked, str):
        return {"ok": False, "error": checked, "traceback": ""}
    return {"ok": True, "reward": checked}


def main(ctx: Any) -> None:
    """Job entry point: payload ``{"source", "sample", "item"}``."""
    payload = ctx.read_payload()
    ctx.drop_privileges()
    result = run_grader(payload["source"], payload["sample"], payload["item"])
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    ctx.emit(result)
