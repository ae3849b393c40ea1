"""Validate grader configs: JSON Schema per type, then the rules a schema cannot say.

Errors name the JSON path, the bad value and what was expected, e.g.::

    graders.email.operation: 'equals' is not allowed; expected one of 'eq', 'ne', 'like', 'ilike'

Placement rules (docs/hosted-semantics.md: placement):

* ``rft`` (default): the top-level grader is one of string_check, text_similarity, python, score_model, multi (or an
  extension type that declares itself top-level); ``label_model`` only inside ``multi``; no ``multi`` inside ``multi``.
* ``evals``: ``label_model`` is also allowed at top level (Evals testing criteria); ``multi`` is not.
* ``any``: local use, no top-level restriction; still no nested ``multi``.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Mapping
from functools import cache
from typing import Any, Literal

import jsonschema
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from ..config.files import Locator, format_path
from ..errors import ConfigError
from .registry import BUILTIN, get_spec, known_types

__all__ = ["Placement", "validate_grader_config"]

Placement = Literal["rft", "evals", "any"]
PLACEMENTS: tuple[str, ...] = ("rft", "evals", "any")

_RFT_TOP_LEVEL = {"string_check", "text_similarity", "python", "score_model", "multi"}
_EVALS_TOP_LEVEL = {"string_check", "text_similarity", "python", "score_model", "label_model"}
# Keys a grader file may carry beside the grader itself (stripped before validation).
FILE_ONLY_KEYS = ("cases", "check")


@cache
def _registry() -> Registry:
    resources = []
    for spec in BUILTIN.values():
        schema = spec.load_schema()
        resources.append((schema["$id"], Resource.from_contents(schema)))
    message = _message_schema()
    resources.append((message["$id"], Resource.from_contents(message)))
    return Registry().with_resources(resources)


@cache
def _message_schema() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("rft_kit.graders").joinpath("schemas", "_message.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(type_: str) -> Draft202012Validator:
    schema = copy.deepcopy(get_spec(type_).load_schema())
    if type_ == "text_similarity":
        # The metric knobs live with the metrics; the grader schema accepts exactly those.
        from ..similarity import OPTION_PROPERTIES

        schema["properties"]["rft_options"]["properties"].update(OPTION_PROPERTIES)
    return Draft202012Validator(schema, registry=_registry())


def _fmt(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr) if not isinstance(value, str) else repr(value)
    except (ValueError, RecursionError):  # circular structures from Python callers
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def _describe(error: jsonschema.ValidationError) -> tuple[list[str | int], str]:
    """A precise path and a message saying what was found and what was expected."""
    path: list[str | int] = list(error.absolute_path)
    validator = error.validator
    value: Any = error.instance
    expected: Any = error.validator_value
    schema: Any = error.schema
    if validator == "required":
        missing = [k for k in expected if isinstance(value, Mapping) and k not in value]
        return path, f"missing required field '{missing[0] if missing else expected}'"
    if validator == "additionalProperties" and isinstance(value, Mapping):
        allowed = list((schema.get("properties") or {}).keys())
        extras = [k for k in value if k not in allowed]
        name = extras[0] if extras else "?"
        close = difflib.get_close_matches(str(name), allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return [*path, name], f"unknown field '{name}'{hint}; allowed fields: {', '.join(allowed)}"
    if validator == "enum":
        options = ", ".join(_fmt(v) for v in expected)
        close = difflib.get_close_matches(str(value), [str(v) for v in expected], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close and isinstance(value, str) else ""
        return path, f"{_fmt(value)} is not allowed{hint}; expected one of {options}"
    if validator == "const":
        return path, f"{_fmt(value)} is not allowed; expected {_fmt(expected)}"
    if validator == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return path, f"{_fmt(value)} has the wrong type; expected {' or '.join(kinds)}"
    if validator in ("minItems", "maxItems") and isinstance(value, list):
        return (
            path,
            f"has {len(value)} item(s); expected {'at least' if validator == 'minItems' else 'at most'} {expected}",
        )
    if validator in ("minLength", "maxLength") and isinstance(value, str):
        more = "at least" if validator == "minLength" else "at most"
        return path, f"is {len(value)} characters long; expected {more} {expected}"
    if validator == "anyOf":
        return (
            path,
            f"{_fmt(value)} matches none of the allowed shapes ({schema.get('description', 'see the schema')})",
        )
    return path, f"{_fmt(value)}: {error.message}"


def validate_grader_config(
    config: Any,
    *,
    placement: Placement = "rft",
    path: tuple[str | int, ...] = (),
    inside_multi: bool = False,
    source: str | None = None,
    locate: Locator | None = None,
) -> dict[str, Any]:
    """Validate one grader config (recursing into ``multi``) and return a normalised copy.

    Normalisation: a missing ``name`` is filled with the ``multi`` key or the type (the hosted service invents a
    random one); nothing else changes, so ``to_config()`` round-trips what the user wrote.

    Raises:
        ConfigError: the first problem, with its JSON path and (for files) its line.
    """

    def fail(message: str, at: list[str | int] | tuple[str | int, ...]) -> ConfigError:
        where = source
        if source is not None and locate is not None:
            line = locate(list(at))
            if line is not None:
                where = f"{source}:{line}"
        return ConfigError(message, path=format_path(at), source=where)

    if placement not in PLACEMENTS:
        raise ConfigError(f"unknown placement {placement!r}; expected one of {', '.join(PLACEMENTS)}")
    if not isinstance(config, Mapping):
        raise fail(f"a grader must be an object with a 'type', got {_fmt(config)}", path)
    if "type" not in config:
        raise fail(f"missing required field 'type'; known types: {', '.join(known_types())}", path)
    try:
        spec = get_spec(config["type"])
    except ConfigError as exc:
        raise fail(exc.detail, (*path, "type")) from None

    cfg = {k: v for k, v in config.items() if not (not path and k in FILE_ONLY_KEYS)}
    errors = sorted(_validator(spec.type).iter_errors(cfg), key=lambda e: (len(e.absolute_path), str(e.path)))
    if errors:
        best = jsonschema.exceptions.best_match(errors) or errors[0]
        rel, message = _describe(best)
        raise fail(message, (*path, *rel))

    top = not path
    if spec.type == "multi":
        bad_keys = [k for k in cfg["graders"] if not isinstance(k, str)]
        if bad_keys:
            raise fail(
                f"grader key {bad_keys[0]!r} must be a string (a name used in calculate_output)", (*path, "graders")
            )
    if spec.type == "multi" and inside_multi:
        raise fail("a multi grader cannot contain another multi grader; flatten the formula into one multi", path)
    if top and placement == "rft" and spec.type not in _RFT_TOP_LEVEL and (spec.hosted or not _plugin_top_level(spec)):
        if spec.type == "label_model":
            raise fail(
                "label_model is only accepted inside a multi grader for RFT; wrap it as "
                "{type: multi, graders: {label: <this grader>}, calculate_output: 'label'} "
                "(or validate with placement 'evals')",
                (*path, "type"),
            )
        raise fail(f"grader type '{spec.type}' cannot be the top-level RFT grader", (*path, "type"))
    if top and placement == "evals" and spec.type == "multi":
        raise fail("multi graders exist only for RFT; Evals take a list of testing criteria instead", (*path, "type"))

    _semantic_checks(spec.type, cfg, path, fail)

    normalised = dict(cfg)
    if not normalised.get("name"):
        normalised["name"] = str(path[-1]) if inside_multi and path else spec.type
    if spec.type == "multi":
        graders = {}
        for key, sub in cfg["graders"].items():
            graders[key] = validate_grader_config(
                sub,
                placement=placement,
                path=(*path, "graders", key),
                inside_multi=True,
                source=source,
                locate=locate,
            )
        normalised["graders"] = graders
    return normalised


def _plugin_top_level(spec: Any) -> bool:
    try:
        return bool(spec.load_class().top_level)
    except ConfigError:
        return False


def _semantic_checks(type_: str, cfg: Mapping[str, Any], path: tuple[str | int, ...], fail: Any) -> None:
    """Rules JSON Schema cannot express; grader constructors check their templates and formulas themselves."""
    if type_ == "score_model":
        rng = cfg.get("range")
        if rng is not None and not rng[0] < rng[1]:
            raise fail(f"range {rng} must be [low, high] with low < high", (*path, "range"))
    if type_ in ("score_model", "label_model"):
        from ..templating import compile_template

        for i, message in enumerate(cfg["input"]):
            content = message["content"]
            blocks = content if isinstance(content, list) else [content]
            for j, block in enumerate(blocks):
                at: tuple[str | int, ...] = (*path, "input", i, "content")
                if isinstance(content, list):
                    at = (*at, j)
                if isinstance(block, str):
                    compile_template(block, field=format_path(at))
                    continue
                for key in ("text", "image_url"):
                    if isinstance(block.get(key), str):
                        compile_template(block[key], field=format_path((*at, key)))
    if type_ == "label_model":
        extra = [label for label in cfg["passing_labels"] if label not in cfg["labels"]]
        if extra:
            raise fail(f"passing label {extra[0]!r} is not one of labels {cfg['labels']}", (*path, "passing_labels"))
