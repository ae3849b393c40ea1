"""Validate ``job.json`` and ``grader.json`` against the ``openai`` SDK's own request types.

This catches what our schemas might miss (a field the SDK types differently) and pins us to the SDK the user will
submit with. Two known gaps in the SDK types are bridged, not trusted:

* ``multi.graders`` is typed as a *single* grader since openai-python 1.83 (docs/hosted-semantics.md: multi, SDK bug;
the service needs a name-to-grader map). Each sub-grader is validated on its own against the sub-grader types, and the
  multi's other fields against ``MultiGraderParam`` with one sub-grader standing in for the map.
* ``method.reinforcement.response_format`` is missing from the TypedDicts (pitfall 14); pydantic ignores it there and
  the exporter checks its shape itself.

TypedDicts accept unknown keys silently, so key names are checked here against each TypedDict's declared keys
(hyperparameter names are checked by :mod:`.hyper`, with a did-you-mean), plus the fields the service is known to
accept beyond the SDK types (:mod:`rft_kit.graders.hosted_fields`, e.g. ``pass_threshold``, which OpenAI's own
cookbook submitted): the SDK's types are not the whole truth of what the service accepts. The JSON schemas that
``rft grader validate`` uses are held to the same table by tests/export/test_validate_export_agree.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from ..graders.hosted_fields import accepted_beyond_sdk
from .issues import Issues

__all__ = ["check_grader_with_sdk", "check_job_with_sdk"]


_VALID_GRADER = {"type": "string_check", "name": "x", "input": "", "reference": "", "operation": "eq"}


@cache
def _grader_types() -> dict[str, Any]:
    from openai.types.graders.label_model_grader_param import LabelModelGraderParam
    from openai.types.graders.multi_grader_param import MultiGraderParam
    from openai.types.graders.python_grader_param import PythonGraderParam
    from openai.types.graders.score_model_grader_param import ScoreModelGraderParam
    from openai.types.graders.string_check_grader_param import StringCheckGraderParam
    from openai.types.graders.text_similarity_grader_param import TextSimilarityGraderParam

    return {
        "string_check": StringCheckGraderParam,
        "text_similarity": TextSimilarityGraderParam,
        "python": PythonGraderParam,
        "score_model": ScoreModelGraderParam,
        "label_model": LabelModelGraderParam,
        "multi": MultiGraderParam,
    }


@cache
def _adapter(td: Any) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(td)


def _validate(td: Any, value: Any, where: str, issues: Issues, extra: frozenset[str] = frozenset()) -> None:
    from pydantic import ValidationError

    try:
        _adapter(td).validate_python(value)
    except ValidationError as exc:
        for err in exc.errors()[:5]:
            loc = ".".join(str(p) for p in err["loc"])
            issues.error(f"{where}.{loc}" if loc else where, f"rejected by the openai SDK types: {err['msg']}")
    _unknown_keys(td, value, where, issues, extra)


def _unknown_keys(td: Any, value: Any, where: str, issues: Issues, extra: frozenset[str] = frozenset()) -> None:
    keys = getattr(td, "__required_keys__", frozenset()) | getattr(td, "__optional_keys__", frozenset()) | extra
    if not keys or not isinstance(value, Mapping):
        return
    for key in value:
        if key not in keys:
            issues.error(
                f"{where}.{key}", f"not a field of the SDK's {td.__name__}; allowed: {', '.join(sorted(keys))}"
            )


def check_grader_with_sdk(grader: Mapping[str, Any], issues: Issues, where: str = "grader.json") -> None:
    """Validate a hosted grader config against the SDK's grader param types (multi: sub-graders one by one)."""
    types = _grader_types()
    td = types.get(str(grader.get("type")))
    if td is None:
        issues.error(f"{where}.type", f"{grader.get('type')!r} is not a grader type of the openai SDK")
        return
    extra = accepted_beyond_sdk(str(grader.get("type")))
    if grader.get("type") != "multi":
        _validate(td, grader, where, issues, extra)
        return
    subs = grader.get("graders")
    if not isinstance(subs, Mapping) or not subs:
        issues.error(f"{where}.graders", "must be a non-empty map of name -> grader")
        return
    for key, sub in subs.items():
        check_grader_with_sdk(sub, issues, f"{where}.graders.{key}")
    # The SDK types `graders` as one grader (a bug); a valid one stands in so the other fields can still be checked.
    stand_in = {**grader, "graders": _VALID_GRADER}
    _validate(td, stand_in, where, issues, extra)


def check_job_with_sdk(job: Mapping[str, Any], issues: Issues, where: str = "job.json") -> None:
    """Validate ``fine_tuning.jobs.create`` arguments against ``JobCreateParams`` (the grader separately)."""
    from openai.types.fine_tuning.job_create_params import JobCreateParams
    from openai.types.fine_tuning.reinforcement_method_param import ReinforcementMethodParam

    method = job.get("method") or {}
    reinforcement = dict(method.get("reinforcement") or {})
    grader = reinforcement.get("grader")
    if isinstance(grader, Mapping) and grader.get("type") in _grader_types():
        check_grader_with_sdk(grader, issues, f"{where}.method.reinforcement.grader")
    # The grader was checked above (with the multi workaround); a minimal valid one stands in for it here.
    reinforcement["grader"] = _VALID_GRADER
    reinforcement.pop("response_format", None)
    stand_in = {**job, "method": {**method, "reinforcement": reinforcement}}
    _validate(JobCreateParams, stand_in, where, issues)
    _unknown_keys(ReinforcementMethodParam, reinforcement, f"{where}.method.reinforcement", issues)
