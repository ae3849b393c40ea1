"""`rft grader validate` and `rft export openai` agree about every grader config (issue 19).

One source of truth: the JSON schemas hold exactly the SDK's fields plus the fields the service is known to accept
beyond them (rft_kit.graders.hosted_fields); the export's SDK check reads the same table. A corpus of configs, valid
and broken, goes through both, and both must give the same verdict.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from rft_kit.errors import ConfigError
from rft_kit.export.hosted_grader import hosted_grader
from rft_kit.export.issues import Issues
from rft_kit.export.openai_job import OpenAIExportOptions, export_openai
from rft_kit.export.sdk_check import _grader_types, check_grader_with_sdk
from rft_kit.graders.hosted_fields import ACCEPTED_BEYOND_SDK, EVIDENCE
from rft_kit.graders.loading import read_grader_file
from rft_kit.graders.registry import get_spec
from rft_kit.graders.validate import validate_grader_config

from .conftest import GRADERS, qa_rows, write_grader, write_jsonl

HOSTED_TYPES = ("string_check", "text_similarity", "python", "score_model", "label_model", "multi")


@pytest.mark.parametrize("grader_type", HOSTED_TYPES)
def test_schema_fields_are_sdk_fields_plus_the_accepted_table(grader_type: str) -> None:
    td = _grader_types()[grader_type]
    sdk = set(td.__required_keys__ | td.__optional_keys__)
    schema = set(get_spec(grader_type).load_schema()["properties"]) - {"rft_options"}
    assert schema == sdk | ACCEPTED_BEYOND_SDK[grader_type]


def test_every_accepted_field_names_its_evidence() -> None:
    assert set(ACCEPTED_BEYOND_SDK) == set(HOSTED_TYPES)
    assert {f for fields in ACCEPTED_BEYOND_SDK.values() for f in fields} == set(EVIDENCE)


# A score_model grader shaped like the cookbook's final RFT grader ("Exploring Model Graders for Reinforcement
# Fine-Tuning"), which the hosted validator accepted and a job was created with; the prompt is ours.
COOKBOOK_SCORE_MODEL: dict[str, Any] = {
    "type": "score_model",
    "name": "gpt41_score_model_2",
    "input": [
        {"role": "system", "content": "Compare the reference with the answer; return result in [0, 1]."},
        {"role": "user", "content": "Reference Answer: {{item.answer}}. Model's Answer: {{sample.output_text}}"},
    ],
    "pass_threshold": 0.75,
    "model": "gpt-4.1-2025-04-14",
    "range": [0, 1],
    "sampling_params": {"seed": 42, "temperature": 0},
}
STRING = {"type": "string_check", "name": "s", "input": "{{sample.output_text}}", "reference": "{{item.answer}}"}
SIM = {"type": "text_similarity", "name": "t", "input": "{{sample.output_text}}", "reference": "{{item.answer}}"}
PY = {"type": "python", "name": "p", "source": "def grade(sample, item):\n    return 1.0\n"}
LABEL = {
    "type": "label_model",
    "name": "l",
    "model": "gpt-4o-mini-2024-07-18",
    "input": [{"role": "user", "content": "Classify {{sample.output_text}}"}],
    "labels": ["good", "bad"],
    "passing_labels": ["good"],
}


def _multi(**subs: dict[str, Any]) -> dict[str, Any]:
    return {"type": "multi", "name": "m", "graders": subs, "calculate_output": " + ".join(subs) or "1"}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


CORPUS: dict[str, dict[str, Any]] = {
    "cookbook score_model with pass_threshold": COOKBOOK_SCORE_MODEL,
    "score_model without pass_threshold": _with(COOKBOOK_SCORE_MODEL, pass_threshold=None),
    "score_model, bare string in a content array": _with(
        COOKBOOK_SCORE_MODEL, input=[{"role": "user", "content": ["Ref {{item.answer}}", "Out {{sample.output_text}}"]}]
    ),
    "score_model, range of three": _with(COOKBOOK_SCORE_MODEL, range=[0, 1, 2]),
    "score_model, range reversed": _with(COOKBOOK_SCORE_MODEL, range=[1, 0]),
    "score_model, unknown field": _with(COOKBOOK_SCORE_MODEL, threshold=0.5),
    "score_model, bad role": _with(COOKBOOK_SCORE_MODEL, input=[{"role": "judge", "content": "x"}]),
    "score_model, bad sampling param": _with(COOKBOOK_SCORE_MODEL, sampling_params={"temprature": 0}),
    "score_model, pass_threshold not a number": _with(COOKBOOK_SCORE_MODEL, pass_threshold="high"),
    "string_check eq": {**STRING, "operation": "eq"},
    "string_check with pass_threshold": {**STRING, "operation": "eq", "pass_threshold": 1},
    "string_check, bad operation": {**STRING, "operation": "equals"},
    "string_check, no operation": STRING,
    "text_similarity with pass_threshold (evals shape)": {**SIM, "evaluation_metric": "bleu", "pass_threshold": 0.8},
    "text_similarity fuzzy": {**SIM, "evaluation_metric": "fuzzy_match"},
    "text_similarity, bad metric": {**SIM, "evaluation_metric": "levenshtein"},
    "python with pass_threshold and image_tag": {**PY, "pass_threshold": 0.5, "image_tag": "2025-05-08"},
    "python, empty source": {**PY, "source": ""},
    "multi with pass_threshold on both levels": {
        **_multi(a={**STRING, "operation": "eq", "pass_threshold": 1}, b={**SIM, "evaluation_metric": "rouge_l"}),
        "pass_threshold": 0.5,
    },
    "multi with label_model and sampling_params (older guide)": _multi(
        a={**STRING, "operation": "eq"}, lab={**LABEL, "sampling_params": {"temperature": 0}}
    ),
    "multi with label_model": _multi(lab=LABEL),
    "label_model, passing label not a label": _multi(lab={**LABEL, "passing_labels": ["ugly"]}),
    "multi inside multi": _multi(inner=_multi(a={**STRING, "operation": "eq"})),
    "label_model at the top": LABEL,
}


# Extension graders that cannot be hosted: the export refuses them with a reason (validate has no say in that).
# final_state reads the environment's snapshot, which a hosted python grader never sees (agentic jobs grade it
# through an endpoint grader instead).
NOT_HOSTABLE = ("math_equivalence", "code_tests", "final_state")


def _types(config: dict[str, Any]) -> set[str]:
    """The grader types in ``config``, sub-graders of a multi included."""
    inner = config.get("graders") if config["type"] == "multi" else None
    return {config["type"]}.union(*(_types(g) for g in (inner or {}).values()))


def _library(*, hostable: bool = True) -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(GRADERS.rglob("*.yaml")):
        config = read_grader_file(path, placement="any").config
        if (not _types(config) & set(NOT_HOSTABLE)) == hostable:
            out[f"library {path.relative_to(GRADERS)}"] = config
    return out


def validate_verdict(config: dict[str, Any]) -> str | None:
    """``rft grader validate``'s verdict: None when accepted, else the message."""
    try:
        validate_grader_config(config, placement="rft")
    except ConfigError as exc:
        return str(exc)
    return None


def export_verdict(config: dict[str, Any]) -> str | None:
    """The grader side of ``rft export openai``: validation, compilation, the SDK types."""
    try:
        validated = validate_grader_config(config, placement="rft")
    except ConfigError as exc:
        return str(exc)
    issues = Issues()
    compiled = hosted_grader(validated, issues)
    if compiled is not None:
        check_grader_with_sdk(compiled, issues)
    return "; ".join(str(e) for e in issues.errors) or None


def test_validate_and_export_agree_on_every_config() -> None:
    corpus = {**CORPUS, **_library()}
    disagreements = []
    accepted = 0
    for name, config in corpus.items():
        by_validate, by_export = validate_verdict(config), export_verdict(config)
        accepted += by_validate is None
        if (by_validate is None) != (by_export is None):
            disagreements.append(f"{name}: validate {by_validate or 'accepts'}; export {by_export or 'accepts'}")
    print(f"\nvalidate/export agreement: {len(corpus) - len(disagreements)}/{len(corpus)} configs ({accepted} valid)")
    assert not disagreements, "\n".join(disagreements)
    assert 10 < accepted < len(corpus), "the corpus must hold valid and invalid configs"


def test_library_graders_that_cannot_be_hosted_are_refused_with_a_reason() -> None:
    refused = _library(hostable=False)
    assert refused
    for name, config in refused.items():
        assert validate_verdict(config) is None, name
        verdict = export_verdict(config)
        assert verdict is not None and ("hosted" in verdict or "cannot" in verdict), (name, verdict)


def test_the_cookbook_score_model_grader_exports_with_pass_threshold(tmp_path: Path) -> None:
    tasks = write_jsonl(tmp_path / "tasks.jsonl", qa_rows(30))
    grader = write_grader(tmp_path / "grader.yaml", COOKBOOK_SCORE_MODEL)
    result = export_openai(tasks, grader, tmp_path / "job", OpenAIExportOptions())
    assert result.grader["pass_threshold"] == 0.75
    assert result.job["method"]["reinforcement"]["grader"] == result.grader
