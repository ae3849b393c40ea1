"""One hosted ``python`` grader call: exec the grader source as a fresh module, call ``grade(sample, item)``, check
the reward.

Runs in a candidate process (:mod:`rft_kit.sandbox.candidate`), forked per sample from the candidate pool, so nothing
here is trusted and imports stay light: every candidate pays, in page faults, for what it touches. ``traceback`` and
``inspect`` are imported only when they are needed (an error to report, a callable that is not a plain function).
The checks are repeated in our process (:func:`check_reward`), which trusts nothing but the reply's shape.
"""

from __future__ import annotations

import builtins
import math
import sys
import types

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing into every candidate (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["check_reward", "run_grader"]

_TB_CHARS = 4000
_CO_VARARGS = 0x04


def check_reward(value: Any) -> float | str:
    """``float(value)`` if it is a usable reward, else the reason it is not.

    Accepted: ``int`` and ``float`` (and their numpy counterparts, which register as ``numbers.Real``). Rejected:
    ``bool`` (a grader returning ``True`` almost always has a bug), strings (even numeric ones: the hosted grader says
    "invalid float value"), ``None``, NaN and infinities.
    """
    kind = type(value)
    if kind is not float and kind is not int:
        # not the common case: ``numbers`` is imported only here (numpy, whose numbers register there, imports it)
        import numbers

        if isinstance(value, bool) or not isinstance(value, numbers.Real) or kind.__name__ == "bool_":
            return f"grade() must return a float, got {kind.__name__}: {_short_repr(value)}"
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


def _user_traceback(exc: BaseException) -> str:
    """The traceback without this module's own frame: only the grader's code, as the hosted service shows it."""
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    try:
        import traceback

        text = "".join(traceback.format_exception(type(exc), exc, tb))
    except BaseException:
        return f"{type(exc).__name__} (traceback unavailable)"
    return text if len(text) <= _TB_CHARS else "..." + text[-_TB_CHARS:]


def _signature_problem(grade: Any) -> str | None:
    """Why ``grade(sample, item)`` cannot bind, or ``None``. A plain function is checked from its code object (what
    ``inspect.signature(...).bind`` would conclude, without importing ``inspect`` into every candidate)."""
    if type(grade) is types.FunctionType:
        code = grade.__code__
        positional = code.co_argcount
        required = positional - len(grade.__defaults__ or ())
        kwonly = code.co_kwonlyargcount
        kwdefaults = grade.__kwdefaults__ or {}
        missing_kwonly = [n for n in code.co_varnames[positional : positional + kwonly] if n not in kwdefaults]
        if required > 2:
            return f"missing a required argument: {code.co_varnames[2]!r}"
        if positional < 2 and not code.co_flags & _CO_VARARGS:
            return "too many positional arguments"
        if missing_kwonly:
            return f"missing a required argument: {missing_kwonly[0]!r}"
        return None
    import inspect

    try:
        inspect.signature(grade).bind(None, None)
    except TypeError as exc:
        return str(exc)
    except ValueError:
        pass  # no signature to inspect (a builtin): just call it
    return None


def run_grader(source: str, sample: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """Exec ``source`` as a fresh module and call its ``grade``; never raises. ``{"ok": true, "reward": float}`` or
    ``{"ok": false, "error": str, "traceback": str}``."""
    module = types.ModuleType("grader")
    module.__file__ = "grader.py"
    sys.modules["grader"] = module
    # A grader may patch builtins (of its own process): they are put back before its outcome is checked, described
    # and sent, so that the report does not depend on them.
    saved = dict(builtins.__dict__)
    try:
        how, what = _call(source, module, sample, item)
    finally:
        builtins.__dict__.update(saved)
    if how == "error":
        return {"ok": False, "error": what, "traceback": ""}
    if how == "exit":
        return {"ok": False, "error": f"the grader called exit({what.code!r})", "traceback": _user_traceback(what)}
    if how == "raised":
        error = f"{type(what).__name__}: {_short_repr(str(what))[1:-1]}"
        return {"ok": False, "error": error, "traceback": _user_traceback(what)}
    checked = check_reward(what)
    if isinstance(checked, str):
        return {"ok": False, "error": checked, "traceback": ""}
    return {"ok": True, "reward": checked}


def _call(source: str, module: types.ModuleType, sample: dict[str, Any], item: dict[str, Any]) -> tuple[str, Any]:
    """Run the grader: ``("value", reward)``, ``("error", message)``, ``("exit", SystemExit)`` or
    ``("raised", exception)``."""
    try:
        exec(compile(source, "grader.py", "exec"), module.__dict__)
        grade = module.__dict__.get("grade")
        if not callable(grade):
            return "error", "the source does not define a function grade(sample, item)"
        problem = _signature_problem(grade)
        if problem is not None:
            return "error", f"grade() cannot be called as grade(sample, item): {problem}"
        return "value", grade(sample, item)
    except SystemExit as exc:
        return "exit", exc
    except BaseException as exc:
        return "raised", exc
