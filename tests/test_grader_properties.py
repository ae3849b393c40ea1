"""Property tests for every grader type that runs offline: string_check (4 operations), text_similarity (every metric
but cosine) and multi.

Properties: reward range and error => 0; determinism; never raising on arbitrary samples and items; no template
injection; vectorised path == per-pair path; pickling and config round trip; formula semantics against an independent
evaluator; the hosted envelope shape.
"""

from __future__ import annotations

import json
import math
import pickle
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import rft_kit
from rft_kit.errors import ConfigError, GradeFailure
from rft_kit.graders.formula import Formula
from rft_kit.records import HOSTED_ERROR_FLAGS, GradeResult, Sample
from tests.strategies import (
    GRADER_KEYS,
    METRICS,
    STRING_OPERATIONS,
    TEMPLATE_LOOKING,
    ReferenceError_,
    ReferenceFormula,
    ReferenceSyntaxError,
    any_samples,
    attempt,
    formula_envs,
    formula_soup,
    formulas,
    items,
    json_values,
    multi_configs,
    sample_from_obj_or_none,
    sample_instances,
    sample_objects,
    sample_texts,
    sample_texts_with_huge,
    string_check_configs,
    string_items,
    text_similarity_configs,
    wide_formula_envs,
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_METRICS = {"meteor"}


def _metric_settings(metric: str) -> settings:
    return settings(
        max_examples=12 if metric in SLOW_METRICS else 30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _key(result: GradeResult) -> tuple[Any, ...]:
    """Everything about a result that must be deterministic (not the duration, not tracebacks)."""
    return (result.reward, result.status, result.error, result.errors, result.sub_rewards)


def _check_invariants(result: GradeResult, grader: rft_kit.Grader) -> None:
    assert isinstance(result, GradeResult)
    assert result.status in ("scored", "error")
    assert isinstance(result.reward, float)
    assert math.isfinite(result.reward)
    if result.status == "error":
        assert result.reward == 0.0
        assert result.error is not None
        assert result.errors
        assert result.errors[0] == result.error
    else:
        assert result.error is None
    if result.error is not None:
        assert result.status == "error" or grader.type == "multi"
    assert result.grader_type == grader.type
    assert result.grader_name == grader.name
    if grader.type == "string_check":
        assert result.reward in (0.0, 1.0)
        assert not result.errors or result.status == "error"
    elif grader.type == "text_similarity":
        assert 0.0 <= result.reward <= 1.0


def _grade_twice(grader: rft_kit.Grader, sample: Any, item: Any) -> GradeResult:
    first = grader.grade(sample, item)
    second = grader.grade(sample, item)
    assert _key(first) == _key(second)
    via_run = grader.run(sample, item)
    assert _key(via_run) == _key(first)
    _check_invariants(first, grader)
    return first


# -----------------------------------------------------------------------------------------------------------------
# 1-3: range, determinism, never raises
# -----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", STRING_OPERATIONS)
@FAST
@given(data=st.data())
def test_string_check_range_determinism_never_raises(operation, data):
    grader = rft_kit.load_grader(data.draw(string_check_configs(operation)))
    sample = data.draw(st.one_of(any_samples, sample_texts_with_huge), label="sample")
    item = data.draw(items(), label="item")
    _grade_twice(grader, sample, item)


def _oracle(op: str, text: str, reference: str, fold: str = "lower") -> float:
    if op == "eq":
        hit = text == reference
    elif op == "ne":
        hit = text != reference
    elif op == "like":
        hit = text.find(reference) >= 0
    else:
        f = str.casefold if fold == "casefold" else str.lower
        hit = f(text).find(f(reference)) >= 0
    return 1.0 if hit else 0.0


@pytest.mark.parametrize("operation", STRING_OPERATIONS)
@FAST
@given(text=sample_texts_with_huge, answer=sample_texts, fold=st.sampled_from(["lower", "casefold"]))
@example(text="The capital is PARIS.", answer="paris", fold="lower")
@example(text="Hardware\n", answer="Hardware", fold="lower")
@example(text="STRASSE", answer="straße", fold="casefold")
def test_string_check_semantics(operation, text, answer, fold):
    grader = rft_kit.load_grader(
        {
            "type": "string_check",
            "input": "{{sample.output_text}}",
            "reference": "{{item.answer}}",
            "operation": operation,
            "rft_options": {"case_fold": fold},
        }
    )
    result = grader.grade(text, {"answer": answer})
    assert result.status == "scored"
    assert result.reward == _oracle(operation, text, answer, fold)


@pytest.mark.parametrize("metric", METRICS)
def test_text_similarity_range_determinism_never_raises(metric):
    @_metric_settings(metric)
    @given(
        cfg=text_similarity_configs(metric),
        sample=st.one_of(any_samples, sample_texts_with_huge),
        item=items(),
    )
    def inner(cfg, sample, item):
        grader = rft_kit.load_grader(cfg)
        _grade_twice(grader, sample, item)

    inner()


@pytest.mark.parametrize("metric", METRICS)
def test_text_similarity_equals_metric_on_literal_text(metric):
    """The rendered texts reach the metric verbatim, even when they look like templates (injection, property 4)."""
    from rft_kit.similarity import get_metric

    m = get_metric(metric)
    grader = rft_kit.load_grader(
        {
            "type": "text_similarity",
            "input": "{{sample.output_text}}",
            "reference": "{{item.answer}}",
            "evaluation_metric": metric,
        }
    )

    @_metric_settings(metric)
    @given(text=st.one_of(sample_texts, st.sampled_from(TEMPLATE_LOOKING)), answer=sample_texts)
    @example(text="{{item.answer}}", answer="the secret answer")
    @example(text="the cat sat on the mat", answer="the cat sat on the mat")
    def inner(text, answer):
        result = grader.grade(text, {"answer": answer, "secret": answer})
        assert result.status == "scored"
        assert result.reward == m.score(text, answer)
        assert 0.0 <= result.reward <= 1.0

    inner()


@FEW
@given(cfg=multi_configs(), sample=any_samples, item=items())
def test_multi_range_determinism_never_raises(cfg, sample, item):
    grader = rft_kit.load_grader(cfg)
    result = _grade_twice(grader, sample, item)
    parsed = sample_from_obj_or_none(sample) if isinstance(sample, dict) else None
    parses = not isinstance(sample, dict) or (parsed is not None and not parsed.error)
    # every sub-grader ran and reported its reward (a sample that does not parse, or that carries a sampling error,
    # stops before them)
    if parses:
        assert set(result.sub_rewards) == set(cfg["graders"]), result.errors
    for sub in result.sub_rewards.values():
        assert 0.0 <= sub <= 1.0


@FAST
@given(cfg=multi_configs(), sample=st.one_of(sample_texts, sample_instances), item=items())
@example(
    cfg={
        "type": "multi",
        "graders": {
            "a": {"type": "string_check", "input": "{{sample.output_text}}", "reference": "x", "operation": "eq"}
        },
        "calculate_output": "min((a - 1) ^ 0.5, 1)",
    },
    sample="y",
    item={},
).via("negative base to a fractional power inside min()")
def test_multi_reward_is_the_formula_value(cfg, sample, item):
    """multi = the formula over sub-rewards (reference evaluator); a math error is a recorded 'formula' error."""
    grader = rft_kit.load_grader(cfg)
    result = grader.grade(sample, item)
    keys = list(cfg["graders"])
    subs = {k: grader.graders[k].grade(sample, item) for k in keys}
    zero = (cfg.get("rft_options") or {}).get("sub_error") == "zero"
    failed = [k for k, s in subs.items() if s.status == "error"]
    if failed and not zero:
        assert result.status == "error"
        assert result.reward == 0.0
        assert {e.grader for e in result.errors} >= set(failed)
        return
    env = {k: (0.0 if k in failed else subs[k].reward) for k in keys}
    reference = ReferenceFormula(cfg["calculate_output"], keys)
    try:
        expected = reference.evaluate(env)
    except ReferenceError_:
        assert result.status == "error", f"reference evaluator fails but rft scored {result.reward}"
        assert result.reward == 0.0
        # the formula failure leads (multi.py: what made the result an error is errors[0]); zeroed sub-errors follow
        assert (result.errors[0].kind, result.errors[0].flag) == ("formula", "other_error"), result.errors
    else:
        assert (result.status, result.reward) == ("scored", expected), result.errors
    assert result.sub_rewards == {k: s.reward for k, s in subs.items()}


_SC = {"type": "string_check", "input": "{{sample.output_text}}", "reference": "{{item.answer}}", "operation": "eq"}


@FAST
@given(cfg=multi_configs(), sample=any_samples, item=items())
@example(
    cfg={
        "type": "multi",
        "graders": {"a": _SC, "b": _SC},
        "calculate_output": "0 / 0",
        "rft_options": {"sub_error": "zero"},
    },
    sample="",
    item={},
).via("failed sub-graders counted as 0, then a formula error")
def test_result_record_round_trip(cfg, sample, item):
    """``GradeResult.from_dict(r.to_dict())`` keeps reward, status, error and every error (grades.jsonl records)."""
    result = rft_kit.load_grader(cfg).grade(sample, item)
    if result.error is not None:
        # a multi with sub_error: zero is scored with errors recorded and no leading error
        assert result.error == result.errors[0], "GradeResult.error must be the first of errors"
    back = GradeResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert (back.reward, back.status, back.error, back.errors, back.sub_rewards) == (
        result.reward,
        result.status,
        result.error,
        result.errors,
        result.sub_rewards,
    )


# -- malformed sample objects and non-object samples / items ----------------------------------------------------------


def _all_graders() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        string_check_configs(),
        text_similarity_configs(metric="fuzzy_match"),
        text_similarity_configs(metric="rouge_l"),
        multi_configs(),
    )


@FAST
@given(cfg=_all_graders(), obj=sample_objects(well_formed=False), item=items())
@example(
    cfg={"type": "string_check", "input": "{{sample.output_text}}", "reference": "x", "operation": "eq"},
    obj={"output_text": 5},
    item={},
)
def test_malformed_sample_object_is_a_recorded_error(cfg, obj, item):
    grader = rft_kit.load_grader(cfg)
    result = _grade_twice(grader, obj, item)
    if sample_from_obj_or_none(obj) is None:
        assert result.status == "error"
        assert result.reward == 0.0
        assert any(e.flag == "sample_parse_error" and e.kind == "parse" for e in result.errors)
    elif obj.get("error"):
        assert result.status == "error"
        assert result.error is not None
        assert result.error.kind == "sample"


@FAST
@given(
    cfg=_all_graders(),
    sample=st.one_of(st.none(), st.integers(), st.floats(), st.lists(st.text(max_size=3), max_size=3), st.booleans()),
    item=st.one_of(items(), json_values),
)
def test_non_object_samples_and_items_never_raise(cfg, sample, item):
    grader = rft_kit.load_grader(cfg)
    result = _grade_twice(grader, sample, item if isinstance(item, dict) else None)
    assert result.status == "error"
    assert any(e.flag == "sample_parse_error" for e in result.errors)
    # an item that is not an object is graded like any other item: no exception either
    other = grader.grade("text", item)
    _check_invariants(other, grader)


# -----------------------------------------------------------------------------------------------------------------
# 4: template injection
# -----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", STRING_OPERATIONS)
@FAST
@given(
    text=st.sampled_from(TEMPLATE_LOOKING) | st.lists(st.sampled_from(TEMPLATE_LOOKING), min_size=1).map("".join),
    answer=sample_texts,
)
@example(text="{{item.answer}}", answer="42")
@example(text="{{ item.secret }}", answer="42")
@example(text="{{sample.output_text}}", answer="42")
def test_template_injection_is_impossible(operation, text, answer):
    grader = rft_kit.load_grader(
        {
            "type": "string_check",
            "input": "{{sample.output_text}}",
            "reference": "{{item.answer}}",
            "operation": operation,
        }
    )
    item = {"answer": answer, "secret": answer}
    for sample in (text, Sample.from_text(text), {"output_text": text}):
        result = grader.grade(sample, item)
        assert result.status == "scored"
        assert result.reward == _oracle(operation, text, answer)
    if operation == "eq" and answer != text:
        assert grader.grade(text, item).reward == 0.0


@FAST
@given(payload=st.sampled_from(TEMPLATE_LOOKING), secret=st.text(min_size=1, max_size=10))
def test_injection_through_output_json_and_tools(payload, secret):
    for tmpl, sample in (
        ("{{sample.output_json.answer}}", {"output_text": json.dumps({"answer": payload})}),
        (
            "{{sample.output_tools[0].function.arguments.answer}}",
            {
                "output_text": "",
                "output_tools": [
                    {"type": "function", "function": {"name": "f", "arguments": json.dumps({"answer": payload})}}
                ],
            },
        ),
    ):
        grader = rft_kit.load_grader(
            {"type": "string_check", "input": tmpl, "reference": "{{item.secret}}", "operation": "eq"}
        )
        result = grader.grade(sample, {"secret": secret, "answer": secret})
        assert result.status == "scored"
        assert result.reward == (1.0 if payload == secret else 0.0)
        # the payload arrives verbatim: it equals the item's copy of the same text
        echo = rft_kit.load_grader(
            {"type": "string_check", "input": tmpl, "reference": "{{item.copy}}", "operation": "eq"}
        )
        assert echo.grade(sample, {"copy": payload, "secret": secret, "answer": secret}).reward == 1.0


# -----------------------------------------------------------------------------------------------------------------
# 5: vectorised path == per-pair path
# -----------------------------------------------------------------------------------------------------------------

_batch_samples = st.one_of(
    st.lists(sample_texts, min_size=1, max_size=6),
    st.lists(sample_objects(), min_size=1, max_size=6),
    st.lists(sample_objects(well_formed=True), min_size=1, max_size=6),
    st.lists(sample_objects(with_text=True), min_size=1, max_size=6),
    st.lists(sample_instances, min_size=1, max_size=6),
    st.lists(any_samples, min_size=1, max_size=6),
)


def _check_batch(grader: rft_kit.Grader, samples: list[Any], items_: list[Any]) -> None:
    per_pair = [grader.grade(s, i) for s, i in zip(samples, items_, strict=True)]
    rewards = grader.rewards(samples, items_)
    if rewards is not None:
        assert all(r.status == "scored" for r in per_pair), (
            f"rewards() took the vectorised path ({rewards}) but per-pair grading fails: "
            f"{[r.error for r in per_pair if r.error]}"
        )
        assert rewards == [r.reward for r in per_pair]
    batch = grader.grade_batch(samples, items_)
    assert [(r.reward, r.status) for r in batch] == [(r.reward, r.status) for r in per_pair]
    if grader.type == "multi":
        assert [r.sub_rewards for r in batch] == [r.sub_rewards for r in per_pair]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=_all_graders(), data=st.data())
def test_vectorised_path_agrees_with_per_pair(cfg, data):
    grader = rft_kit.load_grader(cfg)
    samples = data.draw(_batch_samples, label="samples")
    items_ = data.draw(
        st.lists(st.one_of(string_items, items()), min_size=len(samples), max_size=len(samples)), label="items"
    )
    _check_batch(grader, samples, items_)


@pytest.mark.parametrize(
    "sample",
    [
        {"output_text": "a", "choices": 5},
        {"output_text": "a", "output_tools": "not a list"},
        {"output_text": "a", "sample_index": True},
        {"output_text": "a", "sample_index": "0"},
    ],
    ids=["choices", "output_tools", "sample_index-bool", "sample_index-str"],
)
@pytest.mark.parametrize("kind", ["string_check", "text_similarity", "multi"])
def test_vectorised_path_rejects_malformed_sample_dicts(sample, kind):
    """A sample dict the per-pair path rejects (sample_parse_error) must not be scored by the vectorised path."""
    sc = {"type": "string_check", "input": "{{sample.output_text}}", "reference": "{{item.a}}", "operation": "eq"}
    ts = {**sc, "type": "text_similarity", "evaluation_metric": "fuzzy_match"}
    del ts["operation"]
    cfg = {
        "string_check": sc,
        "text_similarity": ts,
        "multi": {"type": "multi", "graders": {"x": sc}, "calculate_output": "x"},
    }[kind]
    grader = rft_kit.load_grader(cfg)
    assert grader.grade(sample, {"a": "a"}).status == "error"
    _check_batch(grader, [sample], [{"a": "a"}])


@pytest.mark.parametrize("metric", METRICS)
def test_vectorised_text_similarity_agrees_with_per_pair(metric):
    grader = rft_kit.load_grader(
        {
            "type": "text_similarity",
            "input": "{{sample.output_text}}",
            "reference": "{{item.answer}}",
            "evaluation_metric": metric,
        }
    )

    @_metric_settings(metric)
    @given(
        samples=st.lists(sample_texts, min_size=1, max_size=6).flatmap(
            lambda ss: st.sampled_from([ss, [Sample.from_text(s) for s in ss], [{"output_text": s} for s in ss]])
        ),
        data=st.data(),
    )
    def inner(samples, data):
        items_ = data.draw(
            st.lists(string_items, min_size=len(samples), max_size=len(samples)).map(
                lambda its: [dict(i, answer=i.get("answer", "the cat sat")) for i in its]
            )
        )
        rewards = grader.rewards(samples, items_)
        assert rewards is not None, "all-string batches must take the vectorised path"
        _check_batch(grader, samples, items_)
        # a batch where one item misses the key: rewards() is None (or still equal)
        broken = [*items_[:-1], {}]
        _check_batch(grader, samples, broken)

    inner()


@FEW
@given(samples=st.lists(sample_texts, min_size=1, max_size=5), data=st.data())
def test_vectorised_string_check_takes_fast_path(samples, data):
    """Non-vacuity: for plain strings and string items the vectorised path is actually used."""
    for op in STRING_OPERATIONS:
        grader = rft_kit.load_grader(
            {"type": "string_check", "input": "{{sample.output_text}}", "reference": "{{item.a}}", "operation": op}
        )
        items_ = [{"a": data.draw(sample_texts)} for _ in samples]
        rewards = grader.rewards(samples, items_)
        assert rewards == [_oracle(op, s, i["a"]) for s, i in zip(samples, items_, strict=True)]
        _check_batch(grader, samples, items_)


# -----------------------------------------------------------------------------------------------------------------
# 6: pickling and config round trip
# -----------------------------------------------------------------------------------------------------------------


@FAST
@given(cfg=st.one_of(_all_graders(), text_similarity_configs()), sample=any_samples, item=items())
def test_pickle_and_config_round_trip(cfg, sample, item):
    grader = rft_kit.load_grader(cfg)
    config = grader.to_config()
    clone = pickle.loads(pickle.dumps(grader))
    assert type(clone) is type(grader)
    assert clone.to_config() == config
    assert _key(clone.grade(sample, item)) == _key(grader.grade(sample, item))
    rebuilt = rft_kit.load_grader(config)
    assert rebuilt.to_config() == config
    assert _key(rebuilt.grade(sample, item)) == _key(grader.grade(sample, item))
    # normalisation only fills in names; everything the user wrote is kept
    for key, value in cfg.items():
        if key != "graders":
            assert config[key] == value
    assert json.loads(json.dumps(config)) == config


# -----------------------------------------------------------------------------------------------------------------
# 7: formula semantics
# -----------------------------------------------------------------------------------------------------------------

_FORMULA_BUG_EXAMPLES = (
    "min((0 - 1) ^ 0.5, 1)",  # complex intermediate reaches min() -> TypeError escapes
    "sqrt((0 - 1) ^ 0.5)",  # math.sqrt(complex) -> TypeError escapes
    "abs((0 - 1) ^ 0.5)",  # abs(complex) silently returns 1.0
)


_FORMULA_KEYS = list(GRADER_KEYS[:4])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], report_multiple_bugs=False)
@given(src=formulas(_FORMULA_KEYS), env=st.one_of(formula_envs, wide_formula_envs))
def test_formula_matches_reference_evaluator(src, env):
    _compare_formula(src, _FORMULA_KEYS, env)


@pytest.mark.parametrize("src", _FORMULA_BUG_EXAMPLES)
def test_formula_complex_intermediates_are_formula_errors(src):
    _compare_formula(src, ["a"], {"a": 0.5})


def _compare_formula(src: str, keys: list[str], env: dict[str, float]) -> None:
    try:
        reference = ReferenceFormula(src, keys)
    except ReferenceSyntaxError as exc:
        raise AssertionError(f"generator produced a formula the reference rejects: {src!r} ({exc})") from None
    formula = Formula(src, keys)
    env = {k: env[k] for k in keys}
    try:
        expected: float | None = reference.evaluate(env)
    except ReferenceError_:
        expected = None
    actual, failure = attempt(lambda: formula.evaluate(env), GradeFailure)
    if failure is not None:
        assert isinstance(failure, GradeFailure)
        assert (failure.kind, failure.flag) == ("formula", "other_error")
    assert actual == expected, f"{src!r} with {env}: rft={actual!r} reference={expected!r}"


@pytest.mark.parametrize(
    ("src", "env", "expected"),
    [
        ("-2^2", {}, -4.0),
        ("2^3^2", {}, 512.0),
        ("(2^3)^2", {}, 64.0),
        ("2^-1", {}, 0.5),
        ("-a^2", {"a": 3.0}, -9.0),
        ("(-a)^2", {"a": 3.0}, 9.0),
        ("log(exp(2))", {}, 2.0),
        ("min(a, b) ^ 2", {"a": 0.8, "b": 0.9}, 0.8**2),
        ("max(0, a - 0.5) * 2", {"a": 0.8}, (0.8 - 0.5) * 2),
        ("min(3, 1, 2)", {}, 1.0),
        ("max(1)", {}, 1.0),
        ("floor(-0.5) + ceil(0.5)", {}, 0.0),
        ("1 - 2 - 3", {}, -4.0),
        ("8 / 4 / 2", {}, 1.0),
        ("(a + b) / 2", {"a": 0.9333, "b": 1.0}, (0.9333 + 1.0) / 2),
        ("- - a", {"a": 1.0}, 1.0),
        ("sqrt(16) * abs(-1)", {}, 4.0),
    ],
)
def test_formula_documented_semantics(src, env, expected):
    names = list(env)
    assert Formula(src, names).evaluate(env) == expected
    assert ReferenceFormula(src, names).evaluate(env) == expected


@pytest.mark.parametrize(
    "src", ["1 / 0", "log(0)", "sqrt(0 - 1)", "(0 - 8) ^ 0.5", "10 ^ 400", "exp(1000)", "0 ^ (0 - 1)", "a / (a - a)"]
)
def test_formula_math_errors_are_grade_failures(src):
    with pytest.raises(GradeFailure) as info:
        Formula(src, ["a"]).evaluate({"a": 1.0})
    assert info.value.kind == "formula"


@settings(max_examples=500, deadline=None)
@given(src=formula_soup)
@example(src="min ( a , )")
@example(src="a ^ ^ b")
@example(src="2 ** a")
@example(src="")
@example(src="min")
@example(src="1e")
@example(src="é")
def test_malformed_formulas_raise_config_error_with_position(src):
    try:
        ReferenceFormula(src, ["a", "b"])
        reference_ok = True
    except ReferenceSyntaxError:
        reference_ok = False
    _, err = attempt(lambda: Formula(src, ["a", "b"]), ConfigError)
    if err is None:
        assert reference_ok, f"rft accepts {src!r} that the reference grammar rejects"
    else:
        assert isinstance(err, ConfigError)
        assert "position" in str(err), str(err)
        assert err.path == "calculate_output"
        assert not reference_ok, f"rft rejects {src!r} that the reference grammar accepts: {err}"


@pytest.mark.parametrize(
    "src",
    [
        "(" * 1000 + "a" + ")" * 1000,
        "-" * 3000 + "a",
        "a ^ " * 1000 + "a",
        "abs(" * 1000 + "a" + ")" * 1000,
    ],
    ids=["parens", "unary", "power", "calls"],
)
def test_deeply_nested_formula_is_config_error_or_works(src):
    """A pathological formula must be a ConfigError (or work), never a RecursionError traceback."""
    formula, err = attempt(lambda: Formula(src, ["a"]), ConfigError)
    if err is None:
        attempt(lambda: formula.evaluate({"a": 1.0}), GradeFailure)


# -----------------------------------------------------------------------------------------------------------------
# 8: envelope shape
# -----------------------------------------------------------------------------------------------------------------

_DOCUMENTED_ERROR_KEYS = (
    "formula_parse_error",
    "sample_parse_error",
    "truncated_observation_error",
    "unresponsive_reward_error",
    "invalid_variable_error",
    "other_error",
    "python_grader_server_error",
    "python_grader_server_error_type",
    "python_grader_runtime_error",
    "python_grader_runtime_error_details",
    "model_grader_server_error",
    "model_grader_refusal_error",
    "model_grader_parse_error",
    "model_grader_server_error_details",
)


@FAST
@given(cfg=_all_graders(), sample=any_samples, item=items())
def test_envelope_shape(cfg, sample, item):
    grader = rft_kit.load_grader(cfg)
    result = grader.run(sample, item)
    env = result.envelope()
    assert set(env) == {"reward", "metadata", "sub_rewards", "model_grader_token_usage_per_model"}
    assert env["reward"] == result.reward
    meta = env["metadata"]
    for key in ("name", "type", "errors", "execution_time", "scores", "token_usage", "sampled_model_name"):
        assert key in meta
    assert meta["name"] == grader.name
    assert meta["type"] == grader.type
    assert isinstance(meta["execution_time"], float)
    assert meta["execution_time"] >= 0.0
    errors = meta["errors"]
    for key in _DOCUMENTED_ERROR_KEYS:
        assert key in errors
    raised = {e.flag for e in result.errors}
    assert raised <= set(HOSTED_ERROR_FLAGS)
    for flag in HOSTED_ERROR_FLAGS:
        assert isinstance(errors[flag], bool)
        assert errors[flag] == (flag in raised), flag
    if result.status == "error":
        assert any(errors[f] for f in HOSTED_ERROR_FLAGS)
    assert env["sub_rewards"] == result.sub_rewards
    assert meta["scores"] == result.sub_rewards
    reached_subs = not (
        result.error is not None and result.error.kind in ("parse", "sample") and not result.sub_rewards
    )
    if grader.type == "multi" and reached_subs:  # a malformed sample stops before the sub-graders run
        assert set(env["sub_rewards"]) == set(cfg["graders"])
    assert isinstance(env["model_grader_token_usage_per_model"], dict)
    text = json.dumps(env, allow_nan=False)
    assert json.loads(text)["reward"] == result.reward
