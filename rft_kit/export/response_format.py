"""The ``response_format`` of an RFT job: what makes ``{{sample.output_json}}`` available to graders.

Accepts either the OpenAI shape ``{"type": "json_schema", "json_schema": {"name", "strict", "schema"}}`` or a bare
JSON Schema (wrapped, strict, named after the file). Azure OpenAI takes a flattened ``{type, name, schema, strict}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from .issues import Issues

__all__ = ["load_response_format"]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def load_response_format(path: Path, issues: Issues, *, azure: bool = False) -> dict[str, Any] | None:
    """Read ``path`` and return the response_format for the job (``None`` when an error was recorded)."""
    where = f"response_format ({path.name})"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        issues.error(where, f"cannot read a JSON document: {exc}")
        return None
    if not isinstance(doc, Mapping):
        issues.error(where, "must be a JSON object")
        return None
    if doc.get("type") == "json_schema":
        inner = doc.get("json_schema") if "json_schema" in doc else doc  # OpenAI nested or Azure flat
        if not isinstance(inner, Mapping):
            issues.error(f"{where}.json_schema", "must be an object with name, schema and strict")
            return None
        name, schema, strict = inner.get("name"), inner.get("schema"), inner.get("strict", True)
    else:
        name, schema, strict = re.sub(r"[^A-Za-z0-9_-]", "_", path.stem)[:64] or "output", doc, True
    if not isinstance(name, str) or not _NAME.match(name):
        issues.error(f"{where}.name", f"{name!r} must be 1-64 characters of a-z, A-Z, 0-9, _ or -")
        return None
    if not isinstance(schema, Mapping):
        issues.error(f"{where}.schema", "missing the JSON Schema object")
        return None
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        issues.error(f"{where}.schema", f"not a valid JSON Schema: {exc.message}")
        return None
    if strict and schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        issues.warn(f"{where}.schema", "strict structured outputs need additionalProperties: false on every object")
    if azure:
        return {"type": "json_schema", "name": name, "schema": dict(schema), "strict": bool(strict)}
    return {"type": "json_schema", "json_schema": {"name": name, "strict": bool(strict), "schema": dict(schema)}}
