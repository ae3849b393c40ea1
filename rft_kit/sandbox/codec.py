"""A strict, tagged encoding for the values that cross from the candidate process to the test runner.

Values cross the boundary, verdicts don't: the runner compares candidate return values itself, so what arrives must
be plain builtin data that cannot carry behaviour (no forged ``__eq__``, no ``__del__``, no lazy object). The encoder
runs on the candidate side and is therefore untrusted (the candidate can replace it); all the safety is in
:func:`decode`, which accepts only this grammar and builds fresh builtin objects::

    ["N"] None            ["B", bool]         ["I", "digits"]      ["F", "repr or inf/nan"]
    ["S", str]            ["Y", base64]       ["L", [enc...]]      ["T", [enc...]]
    ["D", [[enc, enc]...]] ["E", [enc...]] set  ["Z", [enc...]] frozenset

Depth and node count are bounded; anything else is a :class:`DecodeError`.

Hash flooding: the candidate chooses the values, and CPython's hash of an int is public (its value modulo
``2**61 - 1``), so it can send thousands of distinct values with one hash; a set or dict of them costs the decoder
(or a trusted test that calls ``set()`` on a returned list) quadratic time. :func:`decode` therefore refuses a set,
frozenset or dict with more than :data:`MAX_SAME_HASH` members of one hash, and any value holding more than that many
distinct large ints (the only ints that can collide with each other), tuples or frozensets of one hash (tuples of
``-1`` and ``-2``, which hash alike, collide too). Floats are not counted: few distinct floats share a hash. String
hashes are seeded at random per process (the sandbox interpreters run with ``-I``, and their environment does not fix
``PYTHONHASHSEED`` either), so string collisions cannot be prepared. With a ``deadline`` the decoder also stops when
the test's time is up (:class:`DecodeTimeout`).
"""

from __future__ import annotations

import base64
import binascii
import re
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing into every candidate (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_DEPTH", "MAX_NODES", "MAX_SAME_HASH", "DecodeError", "DecodeTimeout", "decode", "encode"]

MAX_DEPTH = 64
MAX_NODES = 2_000_000
MAX_SAME_HASH = 16
"""Most members of one set/frozenset/dict (and most large ints in one value) that may share a hash."""
_INT = re.compile(r"-?[0-9]{1,4300}")
_BIG = 1 << 60  # two distinct ints collide only if they differ by a multiple of 2**61 - 1: one is at least this big
_CHECK_EVERY = 0xFFF  # nodes between two looks at the clock


class DecodeError(ValueError):
    """The encoded value breaks the grammar or its bounds."""


class DecodeTimeout(DecodeError):
    """The deadline passed while decoding."""


class _State:
    __slots__ = ("deadline", "first", "more", "nodes")

    def __init__(self, deadline: float | None) -> None:
        self.nodes = MAX_NODES
        self.deadline = deadline
        self.first: dict[int, Any] = {}  # hash -> the first tracked value seen with it
        self.more: dict[int, list[Any]] = {}  # hash -> the other distinct values seen with it (collisions)


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


def decode(data: Any, deadline: float | None = None) -> Any:
    """Rebuild a value from its encoding, accepting nothing outside the grammar.

    Args:
        data: the encoded value (parsed JSON).
        deadline: a ``time.monotonic()`` instant after which decoding stops.

    Raises:
        DecodeError: on any deviation (unknown tag, wrong payload type, unhashable set member or dict key, too deep,
            too many nodes, too many values of one hash).
        DecodeTimeout: when ``deadline`` passes.
    """
    try:
        return _decode(data, 0, _State(deadline))
    except RecursionError:
        raise DecodeError("value nested too deeply") from None


def _same_hash(values: list[Any], what: str) -> None:
    """Refuse more than :data:`MAX_SAME_HASH` of ``values`` with one hash (before they go into a set or dict)."""
    counts: dict[int, int] = {}
    for value in values:
        h = hash(value)
        n = counts.get(h, 0) + 1
        if n > MAX_SAME_HASH:
            raise DecodeError(f"a {what} with more than {MAX_SAME_HASH} members of one hash (hash flooding)")
        counts[h] = n


def _track(state: _State, value: Any) -> None:
    """Count ``value`` among the distinct values of its hash in the whole decoded value; refuse a flood."""
    try:
        h = hash(value)
    except TypeError:  # a tuple holding a list: unhashable, so it cannot flood a set either
        return
    first = state.first.setdefault(h, value)
    if first is value or first == value:  # the usual case: one value per hash (repeats of a value are fine)
        return
    others = state.more.setdefault(h, [])
    if value not in others:
        if len(others) + 1 >= MAX_SAME_HASH:
            raise DecodeError(f"more than {MAX_SAME_HASH} distinct values of one hash (hash flooding)")
        others.append(value)


def _decode(data: Any, depth: int, state: _State) -> Any:
    if depth > MAX_DEPTH:
        raise DecodeError(f"value nested deeper than {MAX_DEPTH} levels")
    state.nodes -= 1
    if state.nodes < 0:
        raise DecodeError(f"value has more than {MAX_NODES} parts")
    if not state.nodes & _CHECK_EVERY and state.deadline is not None and time.monotonic() > state.deadline:
        raise DecodeTimeout("the time ran out while decoding the value")
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
        number = int(body)
        if number >= _BIG or number <= -_BIG:
            _track(state, number)
        return number
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
            return [_decode(v, d, state) for v in body]
        if tag == "T":
            items = tuple([_decode(v, d, state) for v in body])
            _track(state, items)
            return items
        if tag == "E" or tag == "Z":
            members = [_decode(v, d, state) for v in body]
            _same_hash(members, "set")
            if tag == "E":
                return set(members)
            frozen = frozenset(members)
            _track(state, frozen)
            return frozen
        if tag == "D":
            keys, values = [], []
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise DecodeError("malformed dict entry")
                keys.append(_decode(pair[0], d, state))
                values.append(_decode(pair[1], d, state))
            _same_hash(keys, "dict")
            return dict(zip(keys, values, strict=True))
    except TypeError as exc:  # unhashable member or key
        raise DecodeError(f"invalid set member or dict key: {exc}") from None
    raise DecodeError(f"unknown tag {tag!r}")
