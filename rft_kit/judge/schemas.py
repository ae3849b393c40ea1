"""The structured verdicts judges are asked for, as JSON schemas, and how to ask for them.

Reasoning comes first in every schema (``steps`` before ``result``, ``explanation`` before ``criteria_met``): a
model writing left to right then decides after it has reasoned, not before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "criteria_schema",
    "criterion_schema",
    "fallback_instruction",
    "label_schema",
    "response_format",
    "score_schema",
]

_STEPS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"description": {"type": "string"}, "conclusion": {"type": "string"}},
        "required": ["description", "conclusion"],
        "additionalProperties": False,
    },
}


def score_schema() -> dict[str, Any]:
    """``{steps: [{description, conclusion}], result: number}``: the hosted score_model verdict."""
    return {
        "type": "object",
        "properties": {"steps": _STEPS, "result": {"type": "number"}},
        "required": ["steps", "result"],
        "additionalProperties": False,
    }


def label_schema(labels: Sequence[str]) -> dict[str, Any]:
    """``{steps: [...], result: one of labels}``: the label_model verdict."""
    return {
        "type": "object",
        "properties": {"steps": _STEPS, "result": {"type": "string", "enum": list(labels)}},
        "required": ["steps", "result"],
        "additionalProperties": False,
    }


def criterion_schema() -> dict[str, Any]:
    """``{explanation, criteria_met}``: one rubric criterion (HealthBench's grader format)."""
    return {
        "type": "object",
        "properties": {"explanation": {"type": "string"}, "criteria_met": {"type": "boolean"}},
        "required": ["explanation", "criteria_met"],
        "additionalProperties": False,
    }


def criteria_schema() -> dict[str, Any]:
    """``{criteria: [{id, explanation, criteria_met}]}``: every criterion of a rubric in one reply."""
    item = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "explanation": {"type": "string"},
            "criteria_met": {"type": "boolean"},
        },
        "required": ["id", "explanation", "criteria_met"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"criteria": {"type": "array", "items": item}},
        "required": ["criteria"],
        "additionalProperties": False,
    }


def response_format(name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """The chat completions ``response_format`` forcing ``schema`` (Structured Outputs, strict)."""
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": dict(schema)}}


def fallback_instruction(name: str, schema: Mapping[str, Any]) -> str:
    """What the prompt says instead when the endpoint cannot force a schema (the simulated judge reads it too)."""
    return (
        f"Respond with only a JSON object that matches this JSON schema (name: {name}):\n"
        f"{json.dumps(schema, separators=(',', ':'))}"
    )
