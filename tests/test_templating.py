from __future__ import annotations

import pytest

from rft_kit.errors import ConfigError, GradeFailure
from rft_kit.records import Sample
from rft_kit.templating import RenderOptions, compile_template


def render(source: str, sample: Sample | str = "", item: dict | None = None, **options) -> str:
    smp = sample if isinstance(sample, Sample) else Sample.from_text(sample)
    return compile_template(source, options=RenderOptions(**options)).render(smp.namespace(), item or {})


def test_dotted_paths_indexes_and_whitespace() -> None:
    item = {"ground_truth": {"date": "2024-01-02", "list": [{"v": "a"}, {"v": "b"}]}}
    assert render("{{item.ground_truth.date}}", item=item) == "2024-01-02"
    assert render("{{ item.ground_truth.list[1].v }}", item=item) == "b"
    assert render("{{item.ground_truth.list[-1].v}}", item=item) == "b"
    assert render('{{item["ground_truth"]["date"]}}', item=item) == "2024-01-02"


def test_descends_into_json_strings() -> None:
    sample = Sample.from_obj(
        {
            "output_text": "",
            "output_tools": [
                {"type": "function", "function": {"name": "f", "arguments": '{"symbols": ["A", "B"], "n": 2}'}}
            ],
        }
    )
    assert render("{{sample.output_tools[0].function.arguments.symbols}}", sample) == '["A", "B"]'
    assert render("{{sample.output_tools[0].function.arguments.n}}", sample) == "2"
    with pytest.raises(GradeFailure, match="found a string"):
        render("{{sample.output_tools[0].function.arguments.n}}", sample, json_descent=False)


def test_non_string_values_render_as_json_or_python() -> None:
    item = {"flag": True, "n": 1.0, "obj": {"a": [1, None]}, "s": "ünï"}
    assert render("{{item.flag}} {{item.n}} {{item.obj}} {{item.s}}", item=item) == 'true 1.0 {"a": [1, null]} ünï'
    assert render("{{item.flag}} {{item.obj}}", item=item, value_format="python") == "True {'a': [1, None]}"


def test_missing_path_is_invalid_variable_error_naming_the_path() -> None:
    with pytest.raises(GradeFailure) as info:
        render("{{item.answer}}", item={"question": "q"})
    assert info.value.flag == "invalid_variable_error"
    assert "answer" in info.value.message
    assert "question" in info.value.message  # lists the keys present
    with pytest.raises(GradeFailure, match="out of range"):
        render("{{sample.output_tools[0].function.name}}", "text")


def test_output_json_of_non_json_sample_is_a_sample_parse_error() -> None:
    with pytest.raises(GradeFailure) as info:
        render("{{sample.output_json.name}}", "Sure! Here it is: John")
    assert info.value.flag == "sample_parse_error"
    assert "not valid JSON" in info.value.message


def test_rendering_is_single_pass() -> None:
    """A sample that contains template syntax must come out verbatim, not get the item's values."""
    item = {"answer": "42", "secret": "s3cr3t"}
    for text in ["{{item.answer}}", "{{ item.secret }}", "{{{{item.answer}}}}", "{{sample.output_text}}"]:
        assert render("{{sample.output_text}}", text, item) == text
    assert render("A: {{sample.output_text}} / {{item.answer}}", "{{item.secret}}", item) == "A: {{item.secret}} / 42"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{foo.bar}}", "namespace 'foo'"),
        ("{{item}}", "no variable"),
        ("{{}}", "empty or malformed"),
        ("{{item.}}", "invalid path"),
        ("{{sample.nope}}", "the sample namespace has only"),
        ("{{item.a[x]}}", "invalid path"),
    ],
)
def test_malformed_templates_are_config_errors(source: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        compile_template(source, field="graders.a.input")
    assert "graders.a.input" in str(info.value)


def test_literal_braces_without_closing_are_text() -> None:
    assert render("{{ not closed", "x") == "{{ not closed"
    assert render("{single} }}", "x") == "{single} }}"


def test_sample_from_text_fills_output_json_only_for_objects() -> None:
    assert Sample.from_text('{"a": 1}').output_json == {"a": 1}
    assert Sample.from_text("[1, 2]").output_json == [1, 2]
    assert Sample.from_text("42").output_json is None
    assert Sample.from_text("not json").output_json is None
    sample = Sample.from_text("hi")
    assert sample.output_tools == []
    assert sample.choices[0]["message"]["content"] == "hi"


def test_sample_from_obj_reads_chat_completion_choices() -> None:
    sample = Sample.from_obj(
        {
            "choices": [
                {
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                    }
                }
            ]
        }
    )
    assert sample.output_text == ""
    assert sample.output_tools[0]["function"]["name"] == "f"
    explicit = Sample.from_obj({"output_text": '{"a": 1}', "output_json": None})
    assert explicit.output_json is None  # an explicit null is respected (no response_format was used)
    with pytest.raises(TypeError, match="output_text"):
        Sample.from_obj({"output_text": 5})
