"""Reading grader files (JSON or YAML) and finding the line of a JSON path in them, for error messages."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

__all__ = ["MAX_EXPANDED_NODES", "Locator", "format_path", "parse_document", "read_document"]

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


MAX_EXPANDED_NODES = 100_000
"""Most values a document may hold once its YAML aliases are expanded: far above any real grader or template, far
below what a "billion laughs" alias bomb (a 1 KB file expanding to 10^9 values) would make every later walk visit."""


def read_document(path: str | Path) -> tuple[Any, Locator]:
    """Parse a JSON or YAML file; return the value and a locator for its JSON paths.

    Raises:
        ConfigError: the file is missing or not valid JSON/YAML (with the line and column), repeats a key in one
            mapping (both lines named: YAML and JSON would silently keep the last), or expands through aliases to
            more than :data:`MAX_EXPANDED_NODES` values.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"grader file not found: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read grader file {file}: {exc}") from None
    value, locate = parse_document(text, source=str(file), as_json=file.suffix.lower() == ".json")
    return value, locate


def parse_document(text: str, *, source: str, as_json: bool = False) -> tuple[Any, Locator]:
    """:func:`read_document` for text already read (``as_json``: parse as JSON, else YAML).

    Raises:
        ConfigError: as :func:`read_document`, with ``source`` as the file.
    """
    try:
        root, compose_error = _compose(text)
        if root is not None:
            _check_nodes(root, source)
        if as_json:
            try:
                value = json.loads(text, object_pairs_hook=_unique_pairs)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", source=source
                ) from None
            except _DuplicateKey as exc:  # only when the composer could not read the JSON to find the lines
                raise ConfigError(
                    f"duplicate key {exc.key!r}; JSON would keep only the last value", source=source
                ) from None
        else:
            if compose_error is not None:
                raise ConfigError(
                    f"invalid YAML{_yaml_where(compose_error, text)}: {_yaml_problem(compose_error)}", source=source
                ) from None
            value = _construct(root)
    except RecursionError:
        raise ConfigError("the document is nested too deeply to be a grader config", source=source) from None
    locate = _locator(root)
    _check_plain_json(value, [], locate, source)
    return value, locate


def _compose(text: str) -> tuple[yaml.Node | None, yaml.YAMLError | None]:
    """The node graph of ``text`` (aliases are shared nodes, not yet expanded), or the YAML error."""
    try:
        loader = yaml.SafeLoader(text)  # the reader checks the characters here already
    except yaml.YAMLError as exc:
        return None, exc
    try:
        return loader.get_single_node(), None
    except yaml.YAMLError as exc:
        return None, exc
    finally:
        loader.dispose()


def _construct(root: yaml.Node | None) -> Any:
    if root is None:
        return None
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _check_nodes(root: yaml.Node, source: str) -> None:
    """Refuse repeated keys and alias bombs, on the node graph (before anything is expanded)."""
    # Expanded size of every node, computed once per node (an alias is the same node object used again).
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            # a child still on the path is a recursive alias: counted once (the plain-JSON check refuses it)
            sizes[key] = 1 + sum(sizes.get(id(child), 1) for child in children)
            if sizes[key] > MAX_EXPANDED_NODES:
                raise ConfigError(
                    f"line {node.start_mark.line + 1}: this value expands through YAML aliases (*name) to more than "
                    f"{MAX_EXPANDED_NODES:,} values; write the values out or use fewer aliases",
                    source=source,
                )
            continue
        if key in sizes or key in on_path:
            continue
        if isinstance(node, yaml.MappingNode):
            _check_unique_keys(node, source)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_unique_keys(node: yaml.MappingNode, source: str) -> None:
    first: dict[tuple[str, str], int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
            continue
        identity = (key_node.tag, key_node.value)
        line = key_node.start_mark.line + 1
        if identity in first:
            raise ConfigError(
                f"line {line}: duplicate key {key_node.value!r} (first at line {first[identity]}); only one value "
                "can hold, and the file would silently keep the last: remove one",
                source=source,
            )
        first[identity] = line


def _locator(root: yaml.Node | None) -> Locator:
    """YAML is a superset of JSON for our purposes, so one composer finds lines in both."""

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
