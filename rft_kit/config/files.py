"""Reading grader files (JSON or YAML) and finding the line of a JSON path in them, for error messages."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

__all__ = ["Locator", "format_path", "read_document"]

Locator = Callable[[Sequence[str | int]], int | None]
"""Maps a JSON path to the 1-based line where that value starts in the file (``None`` if unknown)."""


def format_path(parts: Sequence[str | int]) -> str:
    """``("graders", "email", "operation")`` -> ``graders.email.operation``; ints become ``[i]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def read_document(path: str | Path) -> tuple[Any, Locator]:
    """Parse a JSON or YAML file; return the value and a locator for its JSON paths.

    Raises:
        ConfigError: the file is missing or not valid JSON/YAML (with the line and column).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"grader file not found: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read grader file {file}: {exc}") from None
    locate = _locator(text)
    try:
        if file.suffix.lower() == ".json":
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", source=str(file)
                ) from None
        else:
            try:
                value = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise ConfigError(
                    f"invalid YAML{_yaml_where(exc, text)}: {_yaml_problem(exc)}", source=str(file)
                ) from None
    except RecursionError:
        raise ConfigError("the document is nested too deeply to be a grader config", source=str(file)) from None
    _check_plain_json(value, [], locate, str(file))
    return value, locate


def _locator(text: str) -> Locator:
    """YAML is a superset of JSON for our purposes, so one composer finds lines in both."""
    try:
        root = yaml.compose(text)
    except (yaml.YAMLError, RecursionError):
        root = None

    def locate(parts: Sequence[str | int]) -> int | None:
        node = root
        line = None if node is None else node.start_mark.line + 1
        for part in parts:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == part:
                        node = value
                        line = key.start_mark.line + 1
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    return locate


def _yaml_where(exc: yaml.YAMLError, text: str) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f" at line {mark.line + 1}, column {mark.column + 1}"
    position = getattr(exc, "position", None)  # yaml.reader.ReaderError (e.g. a control character) has no mark
    if isinstance(position, int):
        return f" at line {text[:position].count(chr(10)) + 1}"
    return ""


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    if problem:
        return str(problem)
    reason = getattr(exc, "reason", None)
    if reason:
        return f"{reason} (character {getattr(exc, 'character', '?')!r})"
    return str(exc).splitlines()[0]


_JSON_SCALARS = (str, int, float, bool, type(None))


def _check_plain_json(value: Any, path: list[str | int], locate: Locator, source: str) -> None:
    """Reject what YAML allows but a JSON grader config cannot hold: dates, binary, sets, non-string keys, and
    recursive aliases; each with its line."""
    # ancestors, not "seen": an alias used twice is fine, an alias inside itself is a cycle
    stack: list[tuple[Any, list[str | int], frozenset[int]]] = [(value, path, frozenset())]
    while stack:
        node, at, ancestors = stack.pop()
        if isinstance(node, dict | list):
            if id(node) in ancestors:
                raise ConfigError(_where("a recursive YAML alias cannot be a config value", at, locate), source=source)
            inner = ancestors | {id(node)}
            if isinstance(node, dict):
                for key, child in node.items():
                    if not isinstance(key, str):
                        raise ConfigError(
                            _where(
                                f"key {key!r} is a {type(key).__name__}; keys must be strings (quote it)", at, locate
                            ),
                            source=source,
                        )
                    stack.append((child, [*at, key], inner))
            else:
                stack.extend((child, [*at, i], inner) for i, child in enumerate(node))
        elif not isinstance(node, _JSON_SCALARS):
            raise ConfigError(
                _where(
                    f"a {type(node).__name__} value is not valid in a JSON config (quote it as a string)", at, locate
                ),
                source=source,
            )


def _where(message: str, at: list[str | int], locate: Locator) -> str:
    line = locate(at)
    where = format_path(at) or "the document"
    return f"{where} (line {line}): {message}" if line is not None else f"{where}: {message}"
