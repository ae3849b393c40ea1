"""Loading grader configs: files or dicts in, validated :class:`~rft_kit.graders.base.Grader` objects out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.files import read_document
from ..errors import ConfigError
from ..library import resolve_grader
from .registry import get_spec
from .validate import FILE_ONLY_KEYS, Placement, validate_grader_config

if TYPE_CHECKING:
    from .base import Grader

__all__ = ["GraderFile", "build_grader", "load_grader", "read_grader_file"]


class GraderFile:
    """A grader file as read from disk: the normalised grader config plus file-only keys (``cases``)."""

    def __init__(self, config: dict[str, Any], extras: dict[str, Any], source: str | None) -> None:
        self.config = config
        self.extras = extras
        self.source = source


def read_grader_file(path: str | Path, *, placement: Placement = "rft") -> GraderFile:
    """Read and validate a JSON/YAML grader file, or the library grader an ``rft:NAME`` reference names.

    Raises:
        ConfigError: an unknown ``rft:`` name, an unreadable file, bad syntax, or an invalid grader (names the line
            and JSON path).
    """
    path = resolve_grader(path)
    value, locate = read_document(path)
    config = validate_grader_config(value, placement=placement, source=str(path), locate=locate)
    extras = {k: value[k] for k in FILE_ONLY_KEYS if isinstance(value, Mapping) and k in value}
    return GraderFile(config, extras, str(path))


def build_grader(config: Mapping[str, Any], *, path: str = "", source: str | None = None) -> Grader:
    """Instantiate an already validated config (sub-graders of ``multi`` come through here too)."""
    cls = get_spec(config["type"]).load_class()
    try:
        return cls(config, path=path)
    except ConfigError as exc:
        if source is not None and exc.source is None:
            raise ConfigError(exc.detail, path=exc.path, source=source) from None
        raise


def load_grader(grader: str | Path | Mapping[str, Any], *, placement: Placement = "rft") -> Grader:
    """Load a grader from a JSON/YAML file path, an ``rft:NAME`` library grader or a config dict, validate it, and
    build it.

    >>> g = load_grader({"type": "string_check", "name": "label", "input": "{{sample.output_text}}",
    ...                  "reference": "{{item.label}}", "operation": "eq"})
    >>> g.grade("Hardware", {"label": "Hardware"}).reward
    1.0

    Raises:
        ConfigError: the config is invalid; the message names the file, line and JSON path, and the fix.
    """
    if isinstance(grader, str | Path):
        file = read_grader_file(grader, placement=placement)
        return build_grader(file.config, source=file.source)
    if not isinstance(grader, Mapping):
        raise ConfigError(f"a grader must be a file path or a config dict, got {type(grader).__name__}")
    return build_grader(validate_grader_config(grader, placement=placement))
