"""Property tests for the template engine (rft_kit/templating.py, docs/hosted-semantics.md: templates).

Single-pass rendering (values are never re-scanned), rendering against an independent reference renderer, JSON
descent into strings, value formats, and compile_template's contract: a Template or a ConfigError, nothing else.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rft_kit.errors import ConfigError, GradeFailure
from rft_kit.records import Sample
from rft_kit.templating import RenderOptions, Template, VarRef, compile_template, resolve
from tests.strategies import TEMPLATE_LOOKING, attempt, json_values, sample_texts, sample_texts_with_huge

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# literal text that cannot form or touch a placeholder
literals = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="{}"), max_size=12)
identifiers = st.from_regex(r"[A-Za-z_$][A-Za-z0-9_$-]{0,6}", fullmatch=True)
spaces = st.sampled_from(["", " ", "  ", "\t", "\n"])


def _expected_text(value: Any, value_format: str = "json") -> str:
    if isinstance(value, str):
        return value
    if value_format == "python":
        return str(value)
    return json.dumps(value, ensure_ascii=False)


@st.composite
def path_and_value(draw: st.DrawFn) -> tuple[str, list[str | int], Any]:
    """A ``.key`` / ``[i]`` / ``["quoted key"]`` path, how it is written, and the value at its end."""
    depth = draw(st.integers(1, 4))
    written = ""
    segs: list[str | int] = []
    for n in range(depth):
        style = draw(st.sampled_from(["key", "index", "quoted"])) if n else draw(st.sampled_from(["key", "quoted"]))
        if style == "key":
            key = draw(identifiers)
            written += f"{draw(spaces)}.{key}"
            segs.append(key)
        elif style == "index":
            idx = draw(st.integers(-3, 3))
            written += f"{draw(spaces)}[{draw(spaces)}{idx}{draw(spaces)}]"
            segs.append(idx)
        else:
            # (no braces: a "}}" inside a quoted key would end the placeholder)
            key = draw(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="{}"), max_size=6))
            written += f"[{json.dumps(key, ensure_ascii=draw(st.booleans()))}]"
            segs.append(key)
    return written, segs, draw(json_values)


def _build(segs: list[str | int], leaf: Any) -> Any:
    """The smallest item that holds ``leaf`` at ``segs``."""
    value = leaf
    for seg in reversed(segs):
        if isinstance(seg, int):
            size = seg + 1 if seg >= 0 else -seg
            lst: list[Any] = ["filler"] * size
            lst[seg] = value
            value = lst
        else:
            value = {"other": "x", seg: value}
    return value


@FAST
@given(
    parts=st.lists(
        st.one_of(literals.map(lambda t: ("lit", t)), path_and_value().map(lambda p: ("ref", p))), max_size=5
    ),
    value_format=st.sampled_from(["json", "python"]),
)
def test_render_matches_reference_renderer(parts, value_format):
    """A template assembled from literals and item references renders exactly like an independent renderer."""
    source = ""
    expected = ""
    item: dict[str, Any] = {}
    for n, (kind, payload) in enumerate(parts):
        if kind == "lit":
            source += payload
            expected += payload
            continue
        written, segs, leaf = payload
        root = f"k{n}"  # a distinct top-level key per reference, so the references cannot collide
        item[root] = _build(segs, leaf)
        source += "{{" + f" item.{root}{written} " + "}}"
        expected += _expected_text(leaf, value_format)
    template = compile_template(source, options=RenderOptions(value_format=value_format, json_descent=False))
    assert template.source == source
    assert len(template.refs) == sum(1 for k, _ in parts if k == "ref")
    assert template.render(Sample.from_text("").namespace(), item) == expected


@FAST
@given(text=sample_texts_with_huge, prefix=literals, suffix=literals)
@example(text="{{item.secret}}", prefix="", suffix="")
@example(text="{{ {{item.secret}} }}", prefix="A", suffix="B")
def test_sample_text_with_template_syntax_renders_verbatim(text, prefix, suffix):
    template = compile_template(prefix + "{{sample.output_text}}" + suffix)
    item = {"secret": "SECRET-VALUE", "answer": "ANSWER"}
    rendered = template.render(Sample.from_text(text).namespace(), item)
    assert rendered == prefix + text + suffix


@FAST
@given(value=st.one_of(st.sampled_from(TEMPLATE_LOOKING), sample_texts), other=sample_texts)
def test_item_value_with_template_syntax_renders_verbatim(value, other):
    template = compile_template("[{{item.answer}}|{{item.secret}}]")
    sample = Sample.from_text(other).namespace()
    assert template.render(sample, {"answer": value, "secret": other}) == f"[{value}|{other}]"


@FAST
@given(obj=st.dictionaries(st.sampled_from(["a", "b", "symbols"]), json_values, min_size=1), data=st.data())
def test_json_descent_into_strings(obj, data):
    key = data.draw(st.sampled_from(sorted(obj)))
    args = json.dumps(obj, ensure_ascii=data.draw(st.booleans()))
    sample = Sample.from_obj(
        {"output_text": "", "output_tools": [{"type": "function", "function": {"name": "f", "arguments": args}}]}
    ).namespace()
    template = compile_template("{{sample.output_tools[0].function.arguments." + key + "}}")
    assert template.render(sample, {}) == _expected_text(obj[key])
    # the whole string renders verbatim, and without json_descent the walk stops at the string
    whole = compile_template("{{sample.output_tools[0].function.arguments}}")
    assert whole.render(sample, {}) == args
    no_descent = compile_template(template.source, options=RenderOptions(json_descent=False))
    _, failure = attempt(lambda: no_descent.render(sample, {}), GradeFailure)
    assert isinstance(failure, GradeFailure), "json_descent=False must not descend into a string"
    assert failure.flag == "invalid_variable_error"


_ref_paths = st.lists(
    st.one_of(st.sampled_from(["answer", "a", "b", "nested", "0"]), st.integers(-3, 3)), min_size=1, max_size=4
)


@settings(max_examples=300, deadline=None)
@given(item=json_values, path=_ref_paths, descent=st.booleans())
def test_resolve_returns_a_value_or_invalid_variable(item, path, descent):
    """Any path over any JSON item: a value that is really there, or invalid_variable_error; never another error."""
    ref = VarRef("item", tuple(path), "item.x")
    value, failure = attempt(
        lambda: resolve(ref, {"item": item, "sample": {}}, RenderOptions(json_descent=descent)), GradeFailure
    )
    if failure is not None:
        assert isinstance(failure, GradeFailure)
        assert (failure.kind, failure.flag) == ("template", "invalid_variable_error")
        return
    # walk it independently
    current = item
    for seg in path:
        if descent and isinstance(current, str):
            current = json.loads(current)
        current = current[seg]
    assert value == current


@FAST
@given(
    key=st.sampled_from(["answer", "missing", "nested"]), item=st.dictionaries(st.sampled_from(["answer"]), json_values)
)
def test_missing_variable_is_grade_failure(key, item):
    template = compile_template("{{item." + key + "}}")
    out, failure = attempt(lambda: template.render({}, item), GradeFailure)
    if failure is not None:
        assert isinstance(failure, GradeFailure)
        assert key not in item
        assert failure.flag == "invalid_variable_error"
        assert key in failure.message
    else:
        assert key in item
        assert out == _expected_text(item[key])


@FAST
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_output_json_of_non_json_is_sample_parse_error(text):
    template = compile_template("{{sample.output_json.answer}}")
    sample = Sample.from_text(text).namespace()
    _, failure = attempt(lambda: template.render(sample, {}), GradeFailure)
    if failure is not None:
        assert isinstance(failure, GradeFailure)
        assert failure.flag in ("sample_parse_error", "invalid_variable_error")
        if sample["output_json"] is None:
            assert failure.flag == "sample_parse_error"
    else:
        assert isinstance(sample["output_json"], dict)
        assert "answer" in sample["output_json"]


@FAST
@given(text=literals)
def test_literal_text_is_a_literal_template(text):
    template = compile_template(text)
    assert template.is_literal
    assert template.render({}, {}) == text


_template_soup = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "{{",
                "}}",
                "{",
                "}",
                "item",
                "sample",
                ".",
                "[",
                "]",
                '"',
                "'",
                "\\",
                "\\q",
                "\\u12",
                "0",
                "-1",
                "9" * 5000,
                "output_text",
                "answer",
                " ",
                "\n",
                "$",
                "é",
            ]
        ),
        st.text(max_size=3),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.one_of(_template_soup, st.text(max_size=40), st.sampled_from(TEMPLATE_LOOKING)))
@example(source='{{item["\\q"]}}').via("invalid JSON escape in a quoted key")
@example(source='{{item["a\nb"]}}').via("raw control character in a quoted key")
@example(source="{{item[" + "1" * 5000 + "]}}").via("index with more digits than int() accepts")
@example(source="{{item.}}")
@example(source="{{foo.bar}}")
@example(source="{{ sample.nope }}")
def test_compile_template_returns_template_or_config_error(source):
    template, err = attempt(lambda: compile_template(source, field="graders.x.input"), ConfigError)
    if err is not None:
        assert isinstance(err, ConfigError)
        assert err.path == "graders.x.input"
        assert "graders.x.input" in str(err)
        return
    assert isinstance(template, Template)
    assert template.source == source
    # rendering never raises anything but GradeFailure
    ns = Sample.from_text("{{item.answer}}").namespace()
    attempt(lambda: template.render(ns, {"answer": "42", "a": [1, {"b": "c"}]}), GradeFailure)


@FAST
@given(text=sample_texts)
def test_render_is_deterministic_and_single_pass(text):
    template = compile_template("{{sample.output_text}}{{ item.answer }}{{sample.output_text}}")
    ns = Sample.from_text(text).namespace()
    first = template.render(ns, {"answer": "\x00X\x00"})
    assert first == text + "\x00X\x00" + text
    assert template.render(ns, {"answer": "\x00X\x00"}) == first
