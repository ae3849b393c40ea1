"""Judge prompts: hosted content blocks become chat parts with templates rendered; the cache key is the request."""

from __future__ import annotations

import pytest

from rft_kit.errors import ConfigError, GradeFailure
from rft_kit.judge.calls import ChatRequest
from rft_kit.judge.options import sampling_params
from rft_kit.judge.prompt import PromptTemplate
from rft_kit.judge.schemas import score_schema
from rft_kit.records import Sample
from rft_kit.templating import RenderOptions

MESSAGES = [
    {"role": "developer", "content": "Grade {{item.task}}."},
    {
        "role": "user",
        "content": [
            {"type": "input_text", "text": "Answer: {{sample.output_text}}"},
            {"type": "input_image", "image_url": "{{item.url}}", "detail": "low"},
            {"type": "input_audio", "input_audio": {"data": "{{item.clip}}", "format": "wav"}},
        ],
    },
    {"role": "assistant", "content": {"type": "output_text", "text": "Noted."}},
]
ITEM = {"task": "the essay", "url": "https://example.com/a.png", "clip": "UklGRg=="}


def test_blocks_map_to_chat_parts() -> None:
    prompt = PromptTemplate(MESSAGES, field="input", options=RenderOptions())
    messages = prompt.render(Sample.from_text("42").namespace(), ITEM, harden=False)
    assert messages[0] == {"role": "developer", "content": "Grade the essay."}
    assert messages[1]["content"] == [
        {"type": "text", "text": "Answer: 42"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]
    assert messages[2] == {"role": "assistant", "content": [{"type": "text", "text": "Noted."}]}
    assert len(prompt.templates) == 5


def test_hardening_wraps_sample_text_only() -> None:
    prompt = PromptTemplate(MESSAGES, field="input", options=RenderOptions())
    messages = prompt.render(Sample.from_text("42").namespace(), ITEM, harden=True)
    assert messages[0]["role"] == "system" and "<<<SAMPLE_" in messages[0]["content"]
    text = messages[2]["content"][0]["text"]
    assert text.startswith("Answer: <<<SAMPLE_") and text.endswith(">>>") and "42" in text
    assert messages[1] == {"role": "developer", "content": "Grade the essay."}


def test_missing_variables_and_file_id_images() -> None:
    prompt = PromptTemplate(MESSAGES, field="input", options=RenderOptions())
    with pytest.raises(GradeFailure) as caught:
        prompt.render(Sample.from_text("x").namespace(), {"task": "t"}, harden=False)
    assert caught.value.flag == "invalid_variable_error"
    with pytest.raises(ConfigError, match="image_url"):
        PromptTemplate(
            [{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}],
            field="input",
            options=RenderOptions(),
        )


def test_sampling_params_use_the_chat_completions_spelling() -> None:
    hosted = {"max_completions_tokens": 64, "seed": 3, "top_p": None, "temperature": 0, "reasoning_effort": "low"}
    assert sampling_params(hosted) == {
        "max_completion_tokens": 64,
        "seed": 3,
        "temperature": 0,
        "reasoning_effort": "low",
    }
    assert sampling_params(None) == {}


def test_fingerprint_covers_everything_that_is_sent() -> None:
    base = ChatRequest("m", [{"role": "user", "content": "x"}], "score_verdict", score_schema(), {"seed": 1})
    same = ChatRequest("m", [{"role": "user", "content": "x"}], "score_verdict", score_schema(), {"seed": 1})
    assert base.fingerprint == same.fingerprint
    variants = [
        ChatRequest("m2", base.messages, base.schema_name, base.schema, base.params),
        ChatRequest("m", [{"role": "user", "content": "y"}], base.schema_name, base.schema, base.params),
        ChatRequest("m", base.messages, base.schema_name, base.schema, {"seed": 2}),
        ChatRequest("m", base.messages, "other", base.schema, base.params),
        ChatRequest("m", base.messages, base.schema_name, base.schema, base.params, "none"),
    ]
    assert len({base.fingerprint, *(v.fingerprint for v in variants)}) == 6


def test_a_bare_string_inside_a_content_array_is_text() -> None:
    """Issue 19: the SDK's GraderInputs allow ``str`` among the blocks; validation, rendering and export take it."""
    from rft_kit.export.issues import Issues
    from rft_kit.export.sdk_check import check_grader_with_sdk
    from rft_kit.graders.validate import validate_grader_config

    grader = {
        "type": "score_model",
        "name": "judge",
        "model": "gpt-4.1-2025-04-14",
        "input": [
            {
                "role": "user",
                "content": [
                    "Reference: {{item.answer}}",
                    {"type": "input_text", "text": "Answer: {{sample.output_text}}"},
                ],
            }
        ],
    }
    validate_grader_config(grader)
    issues = Issues()
    check_grader_with_sdk(grader, issues)
    assert not issues.error_count, issues.items
    prompt = PromptTemplate(grader["input"], field="input", options=RenderOptions())
    messages = prompt.render(Sample.from_text("42").namespace(), {"answer": "41"}, harden=False)
    assert messages[0]["content"] == [{"type": "text", "text": "Reference: 41"}, {"type": "text", "text": "Answer: 42"}]
    assert len(prompt.templates) == 2
    with pytest.raises(ConfigError, match=r"input\[0\]\.content\[0\]"):
        validate_grader_config({**grader, "input": [{"role": "user", "content": ["{{ other.x }}"]}]})
