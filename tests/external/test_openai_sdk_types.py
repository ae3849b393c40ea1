"""The library graders, as exported, against the openai SDK's own grader types (``openai.types.graders.*``).

These are the SDK's pydantic *models* (what the service returns from ``/graders/validate``), independent of the
``*Param`` TypedDicts the exporter checks with: every library grader that can be hosted is compiled with
``hosted_grader`` and must parse as the model of its type, keeping every field the SDK knows with the same value.
``multi.graders`` is typed as one grader since openai-python 1.83 (an SDK bug, OPENAI_GRADERS.md 3.6): sub-graders
are checked one by one against their own models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rft_kit.export.hosted_grader import hosted_grader
from rft_kit.export.issues import Issues
from rft_kit.graders.loading import read_grader_file

from .conftest import record

openai_graders = pytest.importorskip("openai.types.graders")

GRADERS = Path(__file__).resolve().parents[2] / "graders"
NOT_HOSTABLE = ("math_equivalence", "code_tests", "final_state")
MODELS: dict[str, Any] = {
    "string_check": openai_graders.StringCheckGrader,
    "text_similarity": openai_graders.TextSimilarityGrader,
    "python": openai_graders.PythonGrader,
    "score_model": openai_graders.ScoreModelGrader,
    "label_model": openai_graders.LabelModelGrader,
    "multi": openai_graders.MultiGrader,
}


def _types(config: dict[str, Any]) -> set[str]:
    """The grader types in ``config``, sub-graders of a multi included."""
    inner = config.get("graders") if config["type"] == "multi" else None
    return {config["type"]}.union(*(_types(g) for g in (inner or {}).values()))


def _check(config: dict[str, Any], where: str, problems: list[str]) -> int:
    """Parse ``config`` as its SDK model; returns how many graders were parsed (sub-graders included)."""
    model = MODELS[config["type"]]
    subs = config.get("graders") if config["type"] == "multi" else None
    parsed = 0
    if subs is not None:
        for key, sub in subs.items():
            parsed += _check(sub, f"{where}.graders.{key}", problems)
        first = next(iter(subs.values()))
        config = {**config, "graders": first}  # the SDK's single-grader typing; the map was checked above
    try:
        value = model.model_validate(config)
    except Exception as exc:  # pydantic's ValidationError, named in the message
        problems.append(f"{where}: {type(exc).__name__}: {exc}")
        return parsed
    dumped = value.model_dump(exclude_unset=True, mode="json")
    for field in model.model_fields:
        alias = model.model_fields[field].alias or field
        if alias in config and field != "graders" and dumped.get(field) != config[alias]:
            problems.append(f"{where}.{alias}: the SDK model reads {dumped.get(field)!r}, we wrote {config[alias]!r}")
    return parsed + 1


def test_every_hostable_library_grader_parses_as_the_sdks_model() -> None:
    problems: list[str] = []
    files = graders = 0
    types: set[str] = set()
    for path in sorted(GRADERS.rglob("*.yaml")):
        config = read_grader_file(path, placement="rft").config
        if _types(config) & set(NOT_HOSTABLE):
            continue
        issues = Issues()
        compiled = hosted_grader(config, issues)
        assert compiled is not None, (path, [str(e) for e in issues.errors])
        files += 1
        types.add(compiled["type"])
        graders += _check(compiled, str(path.relative_to(GRADERS)), problems)
    import openai

    record(
        f"openai {openai.__version__} grader models: {files} library grader files exported, {graders} graders "
        f"(sub-graders included) parsed, {len(problems)} rejected; exported types {sorted(types)}"
    )
    assert not problems, "\n".join(problems)
    assert files >= 10 and {"python", "multi", "string_check"} <= types


def test_the_check_rejects_what_the_sdk_rejects_and_takes_bare_strings_in_content() -> None:
    problems: list[str] = []
    bad = {"type": "string_check", "name": "x", "input": "a", "reference": "b", "operation": "equals"}
    assert _check(bad, "bad", problems) == 0 and "bad" in problems[0]
    judge = {
        "type": "score_model",
        "name": "j",
        "model": "gpt-4.1-2025-04-14",
        "input": [{"role": "user", "content": ["Reference {{item.answer}}", {"type": "input_text", "text": "x"}]}],
    }
    ok: list[str] = []
    assert _check(judge, "judge", ok) == 1 and not ok  # issue 19 item 6: the SDK's types allow it
