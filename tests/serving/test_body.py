"""Body parsing of the shared HTTP stack: the C-speed depth check agrees with a walk of the parsed value, and every
unreadable body is a 400 naming why."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rft_kit.serving import HTTPError
from rft_kit.serving.body import json_depth, parse_json, raw_depth
from rft_kit.serving.errors import json_bytes

TRICKY = st.text(alphabet='[]{}"\\ab\u00e9:,')
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=60,
)


@given(VALUES, st.booleans())
def test_raw_depth_is_the_depth_of_the_parsed_value(value: Any, ascii_only: bool) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert raw_depth(raw) == json_depth(value, 10**9)


@given(VALUES, st.integers(min_value=1, max_value=8))
def test_parse_json_refuses_exactly_the_bodies_deeper_than_the_limit(value: Any, limit: int) -> None:
    raw = json.dumps(value).encode()
    if json_depth(value, 10**9) > limit:
        with pytest.raises(HTTPError) as info:
            parse_json(raw, limit)
        assert (info.value.status, info.value.kind) == (400, "too_deep")
    else:
        assert parse_json(raw, limit) == value


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"{", "bad_json"),
        (b"\xff", "bad_json"),
        (b"[" * 50_000 + b"]" * 50_000, "too_deep"),
        (b'{"a": ' + b"9" * 5000 + b"}", "bad_json"),
        (b"NaN-ish", "bad_json"),
    ],
)
def test_unreadable_bodies_are_400(raw: bytes, kind: str) -> None:
    with pytest.raises(HTTPError) as info:
        parse_json(raw, 64)
    assert (info.value.status, info.value.kind) == (400, kind)


def test_replies_are_strict_utf8_json() -> None:
    assert json_bytes({"a": "\u00e9"}) == '{"a":"\u00e9"}'.encode()
    assert json.loads(json_bytes({"k\ud800": "x\udfff"})) == {"k\\ud800": "x\\udfff"}
    with pytest.raises(ValueError, match="Out of range float"):
        json_bytes({"score": float("nan")})
