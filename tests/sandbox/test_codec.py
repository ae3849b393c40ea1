"""The value codec: round trips for plain data, and a decoder that accepts nothing else."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rft_kit.sandbox.codec import MAX_DEPTH, DecodeError, decode, encode

plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4)
        | st.frozensets(st.integers() | st.text(max_size=3), max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(plain)
def test_round_trip(value):
    wire = json.loads(json.dumps(encode(value)))
    assert decode(wire) == value


def test_special_floats_and_types():
    back = decode(json.loads(json.dumps(encode([float("inf"), float("nan"), {1, 2}, (1,), b"\xff"]))))
    assert back[0] == float("inf")
    assert math.isnan(back[1])
    assert (back[2], back[3], back[4]) == ({1, 2}, (1,), b"\xff")


def test_subclasses_become_base_types():
    class S(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    back = decode(encode(S("abc")))
    assert type(back) is str
    assert back != "xyz"


def test_unsupported_values_raise():
    with pytest.raises(TypeError, match="cannot cross"):
        encode(object())
    deep: list = []
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(TypeError):
        encode(deep)


@pytest.mark.parametrize(
    "wire",
    [
        None,
        [],
        ["X", 1],
        ["I", "1.5"],
        ["I", 5],
        ["F", 1.5],
        ["S", 1],
        ["Y", "***"],
        ["L", "abc"],
        ["D", [["S", "a"]]],
        ["E", [["L", []]]],  # unhashable set member
        ["D", [[["L", []], ["N"]]]],  # unhashable key
        ["N", 1],
        ["B", 1],
        {"S": "x"},
    ],
)
def test_decoder_rejects_malformed(wire):
    with pytest.raises(DecodeError):
        decode(wire)


def test_decoder_depth_bound():
    wire: list = ["N"]
    for _ in range(MAX_DEPTH + 5):
        wire = ["L", [wire]]
    with pytest.raises(DecodeError):
        decode(wire)
