"""Config fuzzing: fuzzed grader configs are either accepted or rejected with a ConfigError naming the path; never a
traceback. Also fuzzes grader files (JSON/YAML: random bytes, truncated documents, valid configs).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import rft_kit
from rft_kit.errors import ConfigError
from rft_kit.graders.loading import GraderFile, read_grader_file
from tests.strategies import Mutation, attempt, json_values, mutated_configs, valid_configs

PLACEMENTS = ("rft", "evals", "any")
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(cfg: Any, placement: str = "rft") -> rft_kit.Grader | ConfigError:
    """``load_grader`` must return a Grader or raise ConfigError; anything else fails the test."""
    grader, err = attempt(lambda: rft_kit.load_grader(cfg, placement=placement), ConfigError)
    if err is not None:
        assert isinstance(err, ConfigError)
        assert str(err), "a ConfigError needs a message"
        return err
    assert isinstance(grader, rft_kit.Grader)
    return grader


# -- (a) arbitrary JSON as a config -----------------------------------------------------------------------------------

_grader_shaped = st.fixed_dictionaries(
    {"type": st.sampled_from(["string_check", "text_similarity", "multi", "label_model", "score_model", "python"])},
    optional={
        "input": json_values,
        "reference": json_values,
        "operation": st.one_of(st.sampled_from(["eq", "ne", "like", "ilike"]), json_values),
        "evaluation_metric": st.one_of(st.sampled_from(["bleu", "rouge_l", "cosine"]), json_values),
        "graders": st.one_of(json_values, st.dictionaries(st.sampled_from(["a", "b"]), json_values)),
        "calculate_output": st.one_of(st.sampled_from(["a", "a + b", "(a"]), json_values),
        "name": json_values,
        "rft_options": json_values,
        "model": json_values,
        "labels": json_values,
        "passing_labels": json_values,
        "source": json_values,
        "range": json_values,
    },
)


@FUZZ
@given(cfg=st.one_of(json_values, _grader_shaped), placement=st.sampled_from(PLACEMENTS))
@example(cfg={"type": ["string_check"]}, placement="rft")
@example(cfg={"type": None}, placement="any")
@example(cfg=[], placement="rft")
@example(cfg="graders/missing.yaml", placement="rft")
def test_arbitrary_json_config(cfg, placement):
    outcome = _load(cfg, placement)
    if isinstance(outcome, rft_kit.Grader):
        assert isinstance(cfg, dict)
        assert outcome.to_config()["type"] == cfg["type"]


# -- (b) valid configs load, mutated ones fail naming the path --------------------------------------------------------


@FUZZ
@given(cfg=valid_configs(), placement=st.sampled_from(["rft", "any"]))
def test_valid_configs_load(cfg, placement):
    outcome = _load(cfg, placement)
    assert isinstance(outcome, rft_kit.Grader), f"valid config rejected: {outcome}"
    assert rft_kit.load_grader(outcome.to_config()).to_config() == outcome.to_config()


def _check_mutation(m: Mutation) -> None:
    outcome = _load(m.config, m.placement)
    if not m.must_fail:
        return
    assert isinstance(outcome, ConfigError), f"{m.description}: expected a ConfigError, got {outcome!r}"
    message = str(outcome)
    for needle in m.expect_in_message:
        assert needle in message, f"{m.description}: {needle!r} not in {message!r}"
    if m.alternatives:
        assert any(all(n in message for n in group) for group in m.alternatives), (
            f"{m.description}: none of {m.alternatives} in {message!r}"
        )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=mutated_configs())
def test_mutated_configs_fail_naming_the_path(m):
    _check_mutation(m)


@pytest.mark.parametrize(
    ("cfg", "needles"),
    [
        (
            {
                "type": "multi",
                "graders": {"email": {"type": "string_check", "input": "a", "reference": "b", "operation": "equals"}},
                "calculate_output": "email",
            },
            ["graders.email.operation", "'equals'"],
        ),
        ({"type": "string_check", "input": "a", "reference": "b", "operation": "equals"}, ["operation", "'eq'"]),
        ({"type": "string_chek", "input": "a", "reference": "b", "operation": "eq"}, ["type", "string_check"]),
        ({"type": "string_check", "input": "{{item.}}", "reference": "b", "operation": "eq"}, ["input"]),
        ({"type": "string_check", "input": "a", "reference": "{{foo.bar}}", "operation": "eq"}, ["reference", "foo"]),
        ({"type": "string_check", "input": "{{ sample.nope }}", "reference": "b", "operation": "eq"}, ["input"]),
        (
            {"type": "text_similarity", "input": "a", "reference": "b", "evaluation_metric": "rouge"},
            ["evaluation_metric", "rouge_l"],
        ),
        (
            {
                "type": "multi",
                "graders": {"a": {"type": "string_check", "input": "a", "reference": "b", "operation": "eq"}},
                "calculate_output": "a +",
            },
            ["calculate_output", "position"],
        ),
        (
            {
                "type": "multi",
                "graders": {
                    "m": {
                        "type": "multi",
                        "graders": {"a": {"type": "string_check", "input": "a", "reference": "b", "operation": "eq"}},
                        "calculate_output": "a",
                    }
                },
                "calculate_output": "m",
            },
            ["graders.m", "multi"],
        ),
        (
            {
                "type": "label_model",
                "model": "m",
                "input": [{"role": "user", "content": "hi"}],
                "labels": ["a"],
                "passing_labels": ["a"],
            },
            ["type", "label_model", "multi"],
        ),
        (
            {
                "type": "multi",
                "graders": {
                    "a": {
                        "type": "text_similarity",
                        "input": "a",
                        "reference": "b",
                        "evaluation_metric": "bleu",
                        "rft_options": {"meteor_alpha": 0.5},
                    }
                },
                "calculate_output": "a",
            },
            ["graders.a.rft_options"],
        ),
    ],
)
def test_targeted_mutations_name_the_path(cfg, needles):
    outcome = _load(cfg)
    assert isinstance(outcome, ConfigError)
    for needle in needles:
        assert needle in str(outcome), (needle, str(outcome))


def test_unknown_placement_is_config_error():
    cfg = {"type": "string_check", "input": "a", "reference": "b", "operation": "eq"}
    with pytest.raises(ConfigError):
        rft_kit.load_grader(cfg, placement="hosted")  # type: ignore[arg-type]


# -- (c) grader files ------------------------------------------------------------------------------------------------


def _write(tmp: Path, suffix: str, data: bytes) -> Path:
    path = tmp / f"g-{uuid.uuid4().hex[:8]}{suffix}"
    path.write_bytes(data)
    return path


def _syntax_error(data: bytes, suffix: str) -> bool:
    """Independently: is this file a UTF-8 document with invalid JSON/YAML syntax?"""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        if suffix == ".json":
            json.loads(text)
        else:
            yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError):
        return True
    except RecursionError:
        return False
    return False


def _read(path: Path) -> GraderFile | ConfigError:
    out, err = attempt(lambda: read_grader_file(path), ConfigError)
    if err is not None:
        assert isinstance(err, ConfigError)
        return err
    assert isinstance(out, GraderFile)
    return out


def _check_file(tmp: Path, suffix: str, data: bytes) -> None:
    path = _write(tmp, suffix, data)
    outcome = _read(path)
    loaded, err = attempt(lambda: rft_kit.load_grader(path), ConfigError)
    if err is not None:
        # read_grader_file validates; building also compiles templates and formulas, which can fail after it
        assert str(path) in str(err), f"file name missing from {err}"
    else:
        assert isinstance(outcome, GraderFile)
        assert loaded.to_config() == outcome.config
    if isinstance(outcome, ConfigError):
        message = str(outcome)
        assert str(path) in message, f"file name missing from {message!r}"
        if _syntax_error(data, suffix):
            assert re.search(r"line \d+", message), f"no line number in {message!r}"


_documents = valid_configs().flatmap(
    lambda cfg: st.sampled_from(
        [
            (".json", json.dumps(cfg, indent=2, ensure_ascii=False)),
            (".yaml", yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False)),
            (".yml", yaml.safe_dump(cfg, allow_unicode=False, default_flow_style=True)),
        ]
    )
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(doc=_documents, cut=st.floats(0, 1), data=st.data())
def test_valid_and_truncated_files(tmp_path, doc, cut, data):
    suffix, text = doc
    _check_file(tmp_path, suffix, text.encode("utf-8"))
    outcome = _read(_write(tmp_path, suffix, text.encode("utf-8")))
    assert isinstance(outcome, GraderFile), outcome
    truncated = text[: int(len(text) * cut)]
    _check_file(tmp_path, suffix, truncated.encode("utf-8"))
    # a random edit: delete or insert a structural character
    pos = data.draw(st.integers(0, len(text)))
    ch = data.draw(
        st.sampled_from(["{", "}", "[", "]", ":", ",", '"', "'", "\n", "  ", "- ", "\t", "&a ", "*a ", "!!"])
    )
    _check_file(tmp_path, suffix, (text[:pos] + ch + text[pos:]).encode("utf-8"))


_yaml_fragments = st.lists(
    st.sampled_from(
        [
            "type: string_check\n",
            "type: multi\n",
            "input: '{{sample.output_text}}'\n",
            'reference: "{{item.answer}}"\n',
            "operation: eq\n",
            "graders:\n",
            "  a: {type: string_check, input: x, reference: y, operation: eq}\n",
            "calculate_output: a\n",
            "name: 2024-01-01\n",
            "input: 2024-01-01\n",
            "input: !!binary aGVsbG8=\n",
            "input: &x [*x]\n",
            "  1: {type: string_check, input: x, reference: y, operation: eq}\n",
            "cases: []\n",
            "- a\n",
            ": :\n",
            "{",
            "\t",
            "\x07",
            "---\n",
            "...\n",
            "? complex\n",
            "%YAML 1.2\n",
        ]
    ),
    max_size=8,
).map("".join)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode("utf-8")),
        _yaml_fragments.map(lambda t: t.encode("utf-8")),
    ),
    suffix=st.sampled_from([".json", ".yaml", ".yml", ".txt"]),
)
@example(data=b"type: string_check\ninput: 2024-01-01\nreference: x\noperation: eq\n", suffix=".yaml").via(
    "YAML date value"
)
@example(data=b"2024-01-01\n", suffix=".yaml").via("YAML document that is a date")
@example(data=b"type: string_check\ninput: !!binary aGVsbG8=\nreference: x\noperation: eq\n", suffix=".yaml").via(
    "YAML binary value"
)
@example(data=b"type: string_check\ninput: &a [*a]\nreference: x\noperation: eq\n", suffix=".yaml").via(
    "recursive YAML alias"
)
@example(
    data=b"type: multi\ngraders:\n  1: {type: string_check, input: a, reference: b, operation: eq}\n"
    b"calculate_output: x\n",
    suffix=".yaml",
).via("integer grader key")
@example(data=b"[" * 100_000, suffix=".json").via("deeply nested JSON")
@example(data=b"[" * 5_000, suffix=".yaml").via("deeply nested YAML")
@example(data=b"type: string_check\x07\n", suffix=".yaml").via("YAML reader error (control character)")
@example(data=b"\xff\xfe", suffix=".json")
def test_random_files(tmp_path, data, suffix):
    _check_file(tmp_path, suffix, data)


def test_missing_file_is_config_error(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        read_grader_file(missing)
    assert "nope.yaml" in str(info.value)
