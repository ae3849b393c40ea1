"""Properties of the one escaping dump every writer uses: any value a model can produce is written as strict UTF-8
JSON, values that need nothing are written unchanged, and what was escaped is counted."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rft_kit.io.escape import dumps_line, escape_surrogates, has_surrogates
from rft_kit.io.jsonl import JsonlWriter, iter_jsonl

# every code point, lone surrogates included (what json.loads makes of a model's "\udXXX" escapes)
any_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF))
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=20,
)


def _clean(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return not has_surrogates(value)
    if isinstance(value, list):
        return all(_clean(v) for v in value)
    if isinstance(value, dict):
        return all(_clean(k) and _clean(v) for k, v in value.items())
    return True


@settings(max_examples=300, deadline=None)
@given(values)
def test_any_value_dumps_to_strict_utf8_json(value: Any) -> None:
    text, escapes = dumps_line({"v": value}, note_key="output_escapes")
    text.encode("utf-8")  # never raises
    back = json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(AssertionError(name)))
    assert not has_surrogates(back)
    if _clean(value):
        assert not escapes and back == {"v": value}
    else:
        assert escapes and back["output_escapes"] == escapes.to_dict()


@given(any_text)
def test_escaped_text_keeps_every_other_character(text: str) -> None:
    escaped, count = escape_surrogates(text)
    assert count == sum(0xD800 <= ord(c) <= 0xDFFF for c in text)
    assert escaped.encode("utf-8").decode("utf-8") == escaped
    if count == 0:
        assert escaped is text


@settings(max_examples=50, deadline=None)
@given(st.lists(values, min_size=1, max_size=5))
def test_the_writer_survives_and_reads_back(tmp_path_factory: Any, records: list[Any]) -> None:
    path = Path(tmp_path_factory.mktemp("w")) / "out.jsonl"
    with JsonlWriter(path) as writer:
        writer.write_many([{"r": r} for r in records])
    lines = list(iter_jsonl(path))
    assert len(lines) == len(records) and all(line.error is None for line in lines)
