"""A strict, tagged encoding for the values that cross from the candidate process to the test runner.

Values cross the boundary, verdicts don't: the runner compares candidate return values itself, so what arrives must
be plain builtin data that cannot carry behaviour (no forged ``__eq__``, no ``__del__``, no lazy object). The encoder
runs on the candidate side and is therefore untrusted (the candidate can replace it); all the safety is in
:func:`decode`, which accepts only this grammar and builds fresh builtin objects::

    ["N"] None            ["B", bool]         ["I", "digits"]      ["F", "repr or inf/nan"]
    ["S", str]            ["Y", base64]       ["L", [enc...]]      ["T", [enc...]]
    ["D", [[enc, enc]...]] ["E", [enc...]] set  ["Z", [enc...]] frozenset

Depth and node count are bounded; anything else is a :class:`DecodeError`.
"""

from __future__ import annotations

import base64
import binascii
import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing into every candidate (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_DEPTH", "MAX_NODES", "DecodeError", "decode", "encode"]

MAX_DEPTH = 64
MAX_NODES = 2_000_000
_INT = re.compile(r"-?[0-9]{1,4300}")


class DecodeError(ValueError):
    """The encoded value breaks the grammar or its bounds."""


def encode(value: Any, _depth: int = 0) -> Any:
    """Encode a plain value (subclasses of builtins become their base type; numpy values via ``tolist``).

    Raises:
        TypeError: for any other type, or nesting deeper than :data:`MAX_DEPTH`.
    """
    if _depth > MAX_DEPTH:
        raise TypeError(f"value nested deeper than {MAX_DEPTH} levels")
    d = _depth + 1
    if value is None:
        return ["N"]
    if isinstance(value, bool):
        return ["B", bool(value)]
    if isinstance(value, int):
        return ["I", int.__repr__(value)]
    if isinstance(value, float):
        return ["F", float.__repr__(value)]
    if isinstance(value, str):
        return ["S", str.__str__(value)]
    if isinstance(value, bytes | bytearray):
        return ["Y", base64.b64encode(bytes(value)).decode("ascii")]
    if isinstance(value, list):
        return ["L", [encode(v, d) for v in list.__iter__(value)]]
    if isinstance(value, tuple):
        return ["T", [encode(v, d) for v in tuple.__iter__(value)]]
    if isinstance(value, dict):
        return ["D", [[encode(k, d), encode(v, d)] for k, v in dict.items(value)]]
    if isinstance(value, frozenset):
        return ["Z", [encode(v, d) for v in frozenset.__iter__(value)]]
    if isinstance(value, set):
        return ["E", [encode(v, d) for v in set.__iter__(value)]]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return encode(value.tolist(), _depth)
    raise TypeError(f"a {type(value).__name__} value cannot cross the sandbox boundary (only plain data can)")


def decode(data: Any) -> Any:
    """Rebuild a value from its encoding, accepting nothing outside the grammar.

    Raises:
        DecodeError: on any deviation (unknown tag, wrong payload type, unhashable set member or dict key, too deep,
            too many nodes).
    """
    budget = [MAX_NODES]
    try:
        return _decode(data, 0, budget)
    except RecursionError:
        raise DecodeError("value nested too deeply") from None


def _decode(data: Any, depth: int, budget: list[int]) -> Any:
    if depth > MAX_DEPTH:
        raise DecodeError(f"value nested deeper than {MAX_DEPTH} levels")
    budget[0] -= 1
    if budget[0] < 0:
        raise DecodeError(f"value has more than {MAX_NODES} parts")
    if type(data) is not list or not data or type(data[0]) is not str:
        raise DecodeError("malformed encoded value")
    tag = data[0]
    if tag == "N" and len(data) == 1:
        return None
    if len(data) != 2:
        raise DecodeError(f"malformed encoded value (tag {tag!r})")
    body = data[1]
    if tag == "B" and type(body) is bool:
        return body
    if tag == "I" and type(body) is str and _INT.fullmatch(body):
        return int(body)
    if tag == "F" and type(body) is str and len(body) < 64:
        try:
            return float(body)
        except ValueError:
            raise DecodeError("malformed float") from None
    if tag == "S" and type(body) is str:
        return body
    if tag == "Y" and type(body) is str:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise DecodeError("malformed bytes") from None
    if type(body) is not list:
        raise DecodeError(f"malformed encoded value (tag {tag!r})")
    d = depth + 1
    try:
        if tag == "L":
            return [_decode(v, d, budget) for v in body]
        if tag == "T":
            return tuple(_decode(v, d, budget) for v in body)
        if tag == "E":
            return {_decode(v, d, budget) for v in body}
        if tag == "Z":
            return frozenset(_decode(v, d, budget) for v in body)
        if tag == "D":
            out = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise DecodeError("malformed dict entry")
                out[_decode(pair[0], d, budget)] = _decode(pair[1], d, budget)
            return out
    except TypeError as exc:  # unhashable member or key
        raise DecodeError(f"invalid set member or dict key: {exc}") from None
    raise DecodeError(f"unknown tag {tag!r}")
