"""User task templates written in YAML, no Python needed (``rft generate my_template.yaml``).

A template declares variables drawn at random (lists, integer/float ranges, weighted choices, rows of a CSV/JSONL
file), derived variables computed by the safe expression language of :mod:`rft_kit.tasks.expr`, the messages, and
the reference fields; ``{{ expr }}`` placeholders fill them in::

    name: shipping_quote
    grader: rft:numeric_answer                     # a library grader, a path relative to this file, or inline config
    levels:                                        # optional: each level overrides variable specs
      easy: {parcels: {range: [1, 3]}}
      hard: {parcels: {range: [5, 40]}}
    variables:
      parcels: {range: [1, 10]}
      rate: {choice: [4.5, 6.25, 7.8]}
      carrier: {weighted: {Parcelink: 3, SwiftPost: 1}}
      customer: {csv: data/customers.csv}          # one random row, as a record: {{ customer.name }}
      cost: {expr: "round(parcels * rate, 2)"}    # derived from variables declared above it
    messages:
      - {role: developer, content: "You price shipments."}
      - {role: user, content: "{{ customer.name }} sends {{ parcels }} parcels with {{ carrier }} ..."}
    reference: {answer: "{{ cost }}"}
    reference_sample: "Answer: {{ answer }}"      # the reference as a model would write it (checked by tests)

Loading validates the file against :data:`USER_TEMPLATE_SCHEMA` and then checks what a schema cannot say (each
variable has exactly one source, expressions parse and only read variables declared before them, files exist, the
grader is valid, the last message is from the user); every error names the field path and line.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import jsonschema

from ..config.files import format_path, read_document
from ..errors import ConfigError
from ..library import is_library_ref, resolve_grader
from ..records import Item
from .base import Draft, TaskConfig, TaskGenerator
from .expr import Expr, compile_expr, render_text, split_template

if TYPE_CHECKING:
    from ..graders.base import Grader

__all__ = ["USER_TEMPLATE_SCHEMA", "UserTemplate", "load_user_template"]

SOURCES = ("choice", "range", "weighted", "csv", "jsonl", "expr")

USER_TEMPLATE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "rft-kit user task template",
    "type": "object",
    "required": ["name", "grader", "messages", "reference", "reference_sample"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
        "description": {"type": "string"},
        "domain": {"type": "string"},
        "version": {"type": ["string", "integer"]},
        "grader": {"type": ["string", "object"], "description": "rft:NAME, a path relative to this file, or inline"},
        "default_level": {"type": "string"},
        "levels": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "object", "additionalProperties": {"$ref": "#/$defs/variable"}},
        },
        "variables": {"type": "object", "additionalProperties": {"$ref": "#/$defs/variable"}},
        "messages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["role", "content"],
                "additionalProperties": False,
                "properties": {
                    "role": {"enum": ["developer", "system", "user", "assistant"]},
                    "content": {"type": "string", "minLength": 1},
                },
            },
        },
        "reference": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"not": {"enum": ["id", "messages", "tools", "metadata"]}},
        },
        "reference_sample": {"type": "string", "minLength": 1},
        "info": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "$defs": {
        "variable": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "choice": {"type": "array", "minItems": 1},
                "range": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                "decimals": {"type": "integer", "minimum": 0, "maximum": 10},
                "weighted": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
                },
                "csv": {"type": "string", "minLength": 1},
                "jsonl": {"type": "string", "minLength": 1},
                "expr": {"type": "string", "minLength": 1},
            },
        }
    },
}
"""JSON Schema of a user template file (structure only; :func:`load_user_template` adds the semantic checks)."""


@dataclass(frozen=True)
class _Variable:
    name: str
    source: str
    spec: Any
    decimals: int | None = None
    expr: Expr | None = None
    rows: tuple[Any, ...] = ()

    def draw(self, rng: random.Random, env: Mapping[str, Any]) -> Any:
        if self.source == "choice":
            return rng.choice(self.spec)
        if self.source == "range":
            low, high = self.spec
            if self.decimals is None and isinstance(low, int) and isinstance(high, int):
                return rng.randint(low, high)
            return round(rng.uniform(low, high), 2 if self.decimals is None else self.decimals)
        if self.source == "weighted":
            return rng.choices(list(self.spec), weights=list(self.spec.values()))[0]
        if self.source in ("csv", "jsonl"):
            return rng.choice(self.rows)
        if self.expr is None:
            raise RuntimeError(f"variable {self.name} has no compiled expression")
        return self.expr.evaluate(env)


@dataclass(frozen=True, kw_only=True)
class UserConfig(TaskConfig):
    """The config of a user template at one level: its variables, in draw order."""

    variables: tuple[_Variable, ...] = field(default=())


class UserTemplate(TaskGenerator[UserConfig]):
    """A template loaded from YAML; see the module docstring for the format."""

    config_cls: ClassVar[type[TaskConfig]] = UserConfig

    def __init__(
        self,
        *,
        name: str,
        source: Path,
        grader_ref: str | dict[str, Any],
        level_configs: dict[str, UserConfig],
        default_level: str,
        messages: list[tuple[str, list[str | Expr]]],
        reference: Any,
        sample: list[str | Expr],
        info: dict[str, list[str | Expr]],
        description: str,
        domain: str,
        version: str,
    ) -> None:
        # instance attributes shadow the class-level contract of TaskGenerator (one object per YAML file)
        self.name = name  # type: ignore[misc]
        self.source = source
        self.grader_ref = grader_ref
        self.grader = grader_ref if isinstance(grader_ref, str) else str(source)  # type: ignore[misc]
        self.levels = {level: {} for level in level_configs}  # type: ignore[misc]
        self.default_level = default_level  # type: ignore[misc]
        self.description = description  # type: ignore[misc]
        self.domain = domain  # type: ignore[misc]
        self.version = version  # type: ignore[misc]
        self._level_configs = level_configs
        self._messages = messages
        self._reference = reference
        self._sample = sample
        self._info = info

    def config(self, difficulty: str | None = None, **overrides: Any) -> UserConfig:
        """The variables of a level; user templates take no field overrides (edit the YAML instead).

        Raises:
            ConfigError: an unknown level, or any override.
        """
        if overrides:
            raise ConfigError("user templates take no config overrides; edit the template's variables", path="set")
        level = difficulty or self.default_level
        if level not in self._level_configs:
            raise ConfigError(
                f"unknown difficulty {level!r}; levels: {', '.join(self._level_configs)}", path="difficulty"
            )
        return self._level_configs[level]

    def draft(self, rng: random.Random, config: UserConfig) -> Draft:
        env: dict[str, Any] = {}
        for variable in config.variables:
            try:
                env[variable.name] = variable.draw(rng, env)
            except ValueError as exc:
                raise ConfigError(str(exc), path=f"variables.{variable.name}", source=str(self.source)) from None
        messages = [{"role": role, "content": str(render_text(parts, env))} for role, parts in self._messages]
        reference = _render_value(self._reference, env)
        info = {key: render_text(parts, {**env, **reference}) for key, parts in self._info.items()}
        return Draft(messages=messages, reference=reference, info=info)

    def load_grader(self) -> Grader:
        """The template's grader: the library grader or file it names, or its inline config."""
        if isinstance(self.grader_ref, str):
            return super().load_grader()
        from ..graders.loading import build_grader

        return build_grader(self.grader_ref, source=f"{self.source}: grader")

    def reference_sample(self, item: Item) -> str:
        # rebuild the namespace from the item: reference fields by name (variables are not stored in the row)
        env = {k: v for k, v in item.items() if k not in ("id", "messages", "tools", "metadata")}
        return str(render_text(self._sample, env))


def _render_value(value: Any, env: Mapping[str, Any]) -> Any:
    if isinstance(value, _Parts):
        return render_text(list(value), env)
    if isinstance(value, dict):
        return {k: _render_value(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_value(v, env) for v in value]
    return value


class _Parts(list):  # type: ignore[type-arg]
    """Marks a compiled template string inside the reference tree (plain lists stay data)."""


def _compile_value(value: Any, path: str, known: set[str], fail: Any) -> Any:
    if isinstance(value, str):
        parts = split_template(value, path=path)
        _check_names(parts, known, path, fail)
        return _Parts(parts)
    if isinstance(value, dict):
        return {k: _compile_value(v, f"{path}.{k}", known, fail) for k, v in value.items()}
    if isinstance(value, list):
        return [_compile_value(v, f"{path}[{i}]", known, fail) for i, v in enumerate(value)]
    return value


def _check_names(parts: Sequence[str | Expr], known: set[str], path: str, fail: Any) -> None:
    for part in parts:
        if isinstance(part, Expr):
            missing = sorted(part.names - known)
            if missing:
                raise fail(
                    f"unknown variable '{missing[0]}' in {{{{ {part.source} }}}}; known: {', '.join(sorted(known))}",
                    path,
                )


def _read_rows(path: Path, kind: str) -> tuple[Any, ...]:
    text = path.read_text(encoding="utf-8")
    if kind == "csv":
        return tuple(csv.DictReader(text.splitlines()))
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


def load_user_template(path: str | Path) -> UserTemplate:
    """Load and validate a YAML user template.

    Raises:
        ConfigError: the file is invalid; the message names the JSON path and line.
    """
    try:
        return _load(Path(path))
    except ConfigError as exc:
        if exc.source is not None:
            raise
        # errors from the expression compiler know the field but not the file
        line = read_document(path)[1](_split_path(exc.path)) if exc.path else None
        raise ConfigError(exc.detail, path=exc.path, source=f"{path}:{line}" if line else str(path)) from None


def _load(file: Path) -> UserTemplate:
    doc, locate = read_document(file)

    def fail(message: str, at: str | Sequence[str | int]) -> ConfigError:
        where = at if isinstance(at, str) else format_path(at)
        line = locate(list(at)) if not isinstance(at, str) else locate(_split_path(at))
        return ConfigError(message, path=where, source=f"{file}:{line}" if line else str(file))

    validator = jsonschema.Draft202012Validator(USER_TEMPLATE_SCHEMA)
    errors = sorted(validator.iter_errors(doc), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        error = errors[0]
        raise fail(error.message, list(error.absolute_path))
    base_specs: dict[str, Any] = doc.get("variables") or {}
    levels_doc: dict[str, dict[str, Any]] = doc.get("levels") or {"default": {}}
    default_level = doc.get("default_level") or ("medium" if "medium" in levels_doc else next(iter(levels_doc)))
    if default_level not in levels_doc:
        raise fail(f"'{default_level}' is not one of the levels: {', '.join(levels_doc)}", "default_level")
    level_configs: dict[str, UserConfig] = {}
    for level, overrides in levels_doc.items():
        for name in overrides:
            if name not in base_specs:
                raise fail(
                    f"level overrides unknown variable '{name}'; variables: {', '.join(base_specs)}",
                    f"levels.{level}.{name}",
                )
        variables: list[_Variable] = []
        known: set[str] = set()
        for name, base_spec in base_specs.items():
            spec = overrides.get(name, base_spec)
            at = f"levels.{level}.{name}" if name in overrides else f"variables.{name}"
            variables.append(_variable(name, spec, at, known, file, fail))
            known.add(name)
        level_configs[level] = UserConfig(variables=tuple(variables))
    known = set(base_specs)
    messages = []
    for i, message in enumerate(doc["messages"]):
        parts = split_template(message["content"], path=f"messages[{i}].content")
        _check_names(parts, known, f"messages[{i}].content", fail)
        messages.append((message["role"], parts))
    if doc["messages"][-1]["role"] != "user":
        raise fail(
            "the last message must have role 'user' (the model answers it)", f"messages[{len(messages) - 1}].role"
        )
    clash = sorted(known & set(doc["reference"]))
    if clash:
        raise fail(f"reference field '{clash[0]}' has the name of a variable; rename one", f"reference.{clash[0]}")
    reference = _compile_value(doc["reference"], "reference", known, fail)
    with_reference = known | set(doc["reference"])
    sample = split_template(doc["reference_sample"], path="reference_sample")
    _check_names(sample, set(doc["reference"]), "reference_sample", fail)
    info = {}
    for key, text in (doc.get("info") or {}).items():
        parts = split_template(text, path=f"info.{key}")
        _check_names(parts, with_reference, f"info.{key}", fail)
        info[key] = parts
    grader_ref: str | dict[str, Any]
    if isinstance(doc["grader"], str) and is_library_ref(doc["grader"]):
        try:
            resolve_grader(doc["grader"])
        except ConfigError as exc:
            raise fail(exc.detail, "grader") from None
        grader_ref = doc["grader"]
    elif isinstance(doc["grader"], str):
        grader_path = (file.parent / doc["grader"]).resolve()
        if not grader_path.is_file():
            raise fail(f"grader file {grader_path} does not exist (or name a library grader: rft:NAME)", "grader")
        grader_ref = str(grader_path)
    else:
        from ..graders.validate import validate_grader_config

        grader_ref = validate_grader_config(doc["grader"], source=f"{file}: grader")
    return UserTemplate(
        name=doc["name"],
        source=file,
        grader_ref=grader_ref,
        level_configs=level_configs,
        default_level=default_level,
        messages=messages,
        reference=reference,
        sample=sample,
        info=info,
        description=doc.get("description", ""),
        domain=doc.get("domain", "user template"),
        version=str(doc.get("version", "1")),
    )


def _variable(name: str, spec: dict[str, Any], at: str, known: set[str], file: Path, fail: Any) -> _Variable:
    given = [key for key in SOURCES if key in spec]
    if len(given) != 1:
        raise fail(f"give exactly one of {', '.join(SOURCES)} (got {', '.join(given) or 'none'})", at)
    source = given[0]
    if "decimals" in spec and source != "range":
        raise fail("'decimals' only applies to a range", f"{at}.decimals")
    value = spec[source]
    if source == "range" and value[0] > value[1]:
        raise fail(f"the range is empty: {value[0]} > {value[1]}", f"{at}.range")
    if source == "expr":
        expr = compile_expr(value, path=f"{at}.expr")
        missing = sorted(expr.names - known)
        if missing:
            hint = " (variables are drawn in order; declare it above)" if missing[0] != name else ""
            raise fail(f"expression reads '{missing[0]}', which is not declared before it{hint}", f"{at}.expr")
        return _Variable(name, source, value, expr=expr)
    if source in ("csv", "jsonl"):
        data_path = file.parent / value
        if not data_path.is_file():
            raise fail(f"data file {data_path} does not exist", f"{at}.{source}")
        try:
            rows = _read_rows(data_path, source)
        except (ValueError, UnicodeDecodeError) as exc:
            raise fail(f"cannot read {data_path}: {exc}", f"{at}.{source}") from None
        if not rows:
            raise fail(f"data file {data_path} has no rows", f"{at}.{source}")
        return _Variable(name, source, value, rows=rows)
    return _Variable(name, source, value, decimals=spec.get("decimals"))


def _split_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for chunk in path.replace("]", "").replace("[", ".").split("."):
        if chunk:
            parts.append(int(chunk) if chunk.isdigit() else chunk)
    return parts
