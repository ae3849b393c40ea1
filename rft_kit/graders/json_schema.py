"""``json_schema`` (extension): the output is JSON that conforms to a JSON Schema.

The schema is inline (``schema``, checked when the grader loads) or comes from the item (``schema_from:
"{{item.schema}}"``, checked per sample: an invalid one is a ``config`` error for that sample). Output that is not
JSON is a wrong answer (reward 0, scored), with the reason in metadata. ``scoring: fraction`` gives partial credit:
the share of the schema's top-level ``required`` properties that are present and valid. Exports to OpenAI as a
``python`` grader using ``jsonschema`` (in the hosted image).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import jsonschema
from jsonschema import validators

from ..errors import ConfigError, GradeFailure
from ..records import GradeResult, Sample
from ..templating import Template
from . import _json_extract
from .base import Grader
from .hosted_source import python_grader_config

__all__ = ["JsonSchemaGrader"]

MAX_REPORTED_ERRORS = 5


def _validator(schema: Any) -> jsonschema.protocols.Validator:
    """A validator for ``schema``; raises ``jsonschema.SchemaError`` for an invalid schema."""
    cls = validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def _fraction(validator: jsonschema.protocols.Validator, schema: Mapping[str, Any], instance: Any) -> float:
    required = schema.get("required") or []
    if not isinstance(instance, dict) or not required:
        return 1.0 if validator.is_valid(instance) else 0.0
    properties = schema.get("properties") or {}
    good = 0
    for key in required:
        if key in instance and validator.evolve(schema=properties.get(key, True)).is_valid(instance[key]):
            good += 1
    return good / len(required)


class JsonSchemaGrader(Grader):
    """Reward 1.0 when the output is JSON conforming to the schema (or the valid share of required fields)."""

    type: ClassVar[str] = "json_schema"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        self._config.setdefault("input", "{{sample.output_text}}")
        self.input: Template = self._template("input")
        self.lenient: bool = self._config.get("extract", "strict") == "lenient"
        self.fraction: bool = self._config.get("scoring", "all_or_nothing") == "fraction"
        self.schema_from: Template | None = None
        self.validator: jsonschema.protocols.Validator | None = None
        if "schema" in self._config:
            try:
                self.validator = _validator(self._config["schema"])
            except jsonschema.SchemaError as exc:
                field = f"{path}.schema" if path else "schema"
                raise ConfigError(f"not a valid JSON Schema: {exc.message}", path=field) from None
        else:
            self.schema_from = self._template("schema_from")

    @property
    def templates(self) -> tuple[Template, ...]:
        return (self.input,) if self.schema_from is None else (self.input, self.schema_from)

    def _schema_for(self, ns: Mapping[str, Any], item: Mapping[str, Any]) -> tuple[jsonschema.protocols.Validator, Any]:
        if self.validator is not None:
            return self.validator, self.validator.schema
        assert self.schema_from is not None
        text = self.schema_from.render(ns, item)
        try:
            schema = json.loads(text)
            return _validator(schema), schema
        except (ValueError, RecursionError, jsonschema.SchemaError) as exc:
            reason = exc.message if isinstance(exc, jsonschema.SchemaError) else f"not JSON ({exc})"
            raise GradeFailure("config", "other_error", f"the item's schema is invalid: {reason}") from None

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        ns = sample.namespace()
        validator, schema = self._schema_for(ns, item)
        instance, problem = _json_extract.load_json(self.input.render(ns, item), self.lenient)
        if problem is not None:
            return GradeResult(reward=0.0, metadata={"valid": False, "reason": problem})
        errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
        if not errors:
            return GradeResult(reward=1.0, metadata={"valid": True})
        reported = [
            {"path": "/".join(map(str, e.absolute_path)) or "(root)", "message": e.message[:200]}
            for e in errors[:MAX_REPORTED_ERRORS]
        ]
        reward = _fraction(validator, schema, instance) if self.fraction else 0.0
        return GradeResult(reward=reward, metadata={"valid": False, "errors": reported})

    def to_hosted(self) -> dict[str, Any]:
        """This grader as an OpenAI ``python`` grader using ``jsonschema``."""
        inline = json.dumps(self._config.get("schema"))
        body = f"""
import jsonschema
from jsonschema import validators

INLINE_SCHEMA = json.loads({inline!r})


def grade(sample, item):
    schema = INLINE_SCHEMA if INLINE_SCHEMA is not None else json.loads({{INPUT:schema_from}})
    cls = validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = cls(schema)
    instance, problem = load_json({{INPUT:input}}, {self.lenient!r})
    if problem is not None:
        return 0.0
    if validator.is_valid(instance):
        return 1.0
    if not {self.fraction!r}:
        return 0.0
    required = schema.get("required") or []
    if not isinstance(instance, dict) or not required:
        return 0.0
    properties = schema.get("properties") or {{}}
    good = sum(
        1 for key in required
        if key in instance and validator.evolve(schema=properties.get(key, True)).is_valid(instance[key])
    )
    return good / len(required)
"""
        templates = {"input": self.input}
        if self.schema_from is not None:
            templates["schema_from"] = self.schema_from
        return python_grader_config(self, [_json_extract], body, templates)
