"""The one place that maps a grader ``type`` to its schema and implementation.

Built-in types are listed in :data:`BUILTIN`; implementations are imported lazily so that ``import rft_kit`` stays
cheap. Third-party packages add types through the ``rft_kit.graders`` entry-point group
(``name = "package.module:GraderClass"``); the class must subclass :class:`~rft_kit.graders.base.Grader` and carry a
``schema`` dict. Entry points are only loaded when a lookup misses.
"""

from __future__ import annotations

import builtins
import difflib
import importlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from .base import Grader

__all__ = ["BUILTIN", "GraderSpec", "get_spec", "known_types"]


@dataclass(frozen=True)
class GraderSpec:
    """What the registry knows about one grader type.

    Attributes:
        type: the config ``type`` value.
        schema: JSON Schema file name under ``rft_kit/graders/schemas`` (built-ins) or ``None`` for plugins.
        impl: ``"module:Class"`` of the implementation, or ``None`` while the type can be validated but not run.
        pending: for types without an implementation yet, what to tell the user.
        hosted: part of OpenAI's grader format (``False`` for our extensions).
    """

    type: str
    schema: str | None
    impl: str | None
    pending: str = ""
    hosted: bool = True

    def load_class(self) -> builtins.type[Grader]:
        if self.impl is None:
            raise ConfigError(f"grader type '{self.type}' validates but cannot run yet: {self.pending}")
        module_name, _, attr = self.impl.partition(":")
        cls: builtins.type[Grader] = getattr(importlib.import_module(module_name), attr)
        return cls

    def load_schema(self) -> dict[str, Any]:
        if self.schema is None:
            schema: dict[str, Any] = getattr(self.load_class(), "schema")  # noqa: B009 - plugin contract
            return schema
        return _builtin_schema(self.schema)


BUILTIN: dict[str, GraderSpec] = {
    spec.type: spec
    for spec in (
        GraderSpec("string_check", "string_check.json", "rft_kit.graders.string_check:StringCheckGrader"),
        GraderSpec("text_similarity", "text_similarity.json", "rft_kit.graders.text_similarity:TextSimilarityGrader"),
        GraderSpec("multi", "multi.json", "rft_kit.graders.multi:MultiGrader"),
        # rft-kit extensions (export to OpenAI by compiling to a python grader, or refuse with the reason)
        GraderSpec("numeric", "numeric.json", "rft_kit.graders.numeric:NumericGrader", hosted=False),
        GraderSpec("regex_match", "regex_match.json", "rft_kit.graders.regex_match:RegexMatchGrader", hosted=False),
        GraderSpec("json_schema", "json_schema.json", "rft_kit.graders.json_schema:JsonSchemaGrader", hosted=False),
        GraderSpec(
            "math_equivalence",
            "math_equivalence.json",
            "rft_kit.graders.math_equivalence:MathEquivalenceGrader",
            hosted=False,
        ),
        GraderSpec("score_model", "score_model.json", "rft_kit.graders.score_model:ScoreModelGrader"),
        GraderSpec("label_model", "label_model.json", "rft_kit.graders.label_model:LabelModelGrader"),
        GraderSpec("rubric_judge", "rubric_judge.json", "rft_kit.graders.rubric_judge:RubricJudgeGrader", hosted=False),
        GraderSpec(
            "ranking_judge", "ranking_judge.json", "rft_kit.graders.ranking_judge:RankingJudgeGrader", hosted=False
        ),
        GraderSpec(
            "pairwise_judge", "pairwise_judge.json", "rft_kit.graders.pairwise_judge:PairwiseJudgeGrader", hosted=False
        ),
        GraderSpec("python", "python.json", "rft_kit.graders.python_grader:PythonGrader"),
        GraderSpec("code_tests", "code_tests.json", "rft_kit.graders.code_tests:CodeTestsGrader", hosted=False),
        # agentic episodes (DESIGN.md 10)
        GraderSpec("final_state", "final_state.json", "rft_kit.graders.final_state:FinalStateGrader", hosted=False),
        GraderSpec("trajectory", "trajectory.json", "rft_kit.graders.trajectory:TrajectoryGrader", hosted=False),
        GraderSpec(
            "required_facts", "required_facts.json", "rft_kit.graders.required_facts:RequiredFactsGrader", hosted=False
        ),
    )
}
"""Built-in grader types. Add a type by writing its module and schema and adding one line here."""

ENTRY_POINT_GROUP = "rft_kit.graders"


@cache
def _builtin_schema(filename: str) -> dict[str, Any]:
    text = resources.files("rft_kit.graders").joinpath("schemas", filename).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _plugins() -> dict[str, GraderSpec]:
    found: dict[str, GraderSpec] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in BUILTIN:
            found[ep.name] = GraderSpec(ep.name, None, ep.value, hosted=False)
    return found


def known_types() -> list[str]:
    return sorted({*BUILTIN, *_plugins()})


def get_spec(type_: object, *, path: str = "type") -> GraderSpec:
    """The spec of grader type ``type_``.

    Raises:
        ConfigError: for an unknown type; the message lists the known ones and the closest match.
    """
    if isinstance(type_, str):
        spec = BUILTIN.get(type_) or _plugins().get(type_)
        if spec is not None:
            return spec
    known = known_types()
    hint = ""
    if isinstance(type_, str):
        close = difflib.get_close_matches(type_, known, n=1)
        if close:
            hint = f" (did you mean '{close[0]}'?)"
    raise ConfigError(f"unknown grader type {type_!r}{hint}; known types: {', '.join(known)}", path=path)
