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
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise ConfigError(f"invalid YAML{where}: {problem}", source=str(file)) from None
    return value, _locator(text)


def _locator(text: str) -> Locator:
    """YAML is a superset of JSON for our purposes, so one composer finds lines in both."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
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
