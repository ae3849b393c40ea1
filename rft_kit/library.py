"""Where rft-kit's own content lives: the grader library (``graders/``) and the built-in task templates
(``task_templates/``), and what an ``rft:NAME`` grader reference means.

Every lookup of shipped content goes through this module, so the same code works from a checkout, an editable
install and an installed wheel:

- in a wheel, the build step of ``setup.py`` copies the repository's top-level ``graders/`` and ``task_templates/``
  into the package as ``rft_kit/_library/{graders,task_templates}``;
- in a checkout (and an editable install, which points into the checkout) there is no ``_library`` folder and the
  top-level folders beside ``rft_kit/`` are used directly.

Both layouts keep the two folders side by side, so a relative path from one to the other (a template's
``../../graders/x.yaml``) means the same file in both.

``rft:NAME`` names a grader file of the library by its path under ``graders/`` without the suffix:
``rft:exact_answer`` is ``graders/exact_answer.yaml``, ``rft:tasks/arithmetic_word`` is
``graders/tasks/arithmetic_word.yaml``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from .errors import ConfigError

__all__ = [
    "GRADER_SUFFIXES",
    "LIBRARY_PREFIX",
    "LibraryGrader",
    "describe_library",
    "graders_dir",
    "is_library_ref",
    "library_graders",
    "library_root",
    "resolve_grader",
    "templates_dir",
]

LIBRARY_PREFIX: Final = "rft:"
GRADER_SUFFIXES: Final = (".yaml", ".yml", ".json")
_PACKAGE_DIR: Final = Path(__file__).resolve().parent
_BUNDLED: Final = _PACKAGE_DIR / "_library"


def library_root() -> Path:
    """The folder holding ``graders/`` and ``task_templates/``: the wheel's bundled copy, else the checkout.

    Raises:
        ConfigError: neither exists (a broken install).
    """
    for root in (_BUNDLED, _PACKAGE_DIR.parent):
        if (root / "graders").is_dir() and (root / "task_templates").is_dir():
            return root
    raise ConfigError(
        f"rft-kit's grader library and task templates are missing: neither {_BUNDLED} nor {_PACKAGE_DIR.parent} "
        "holds graders/ and task_templates/; reinstall rft-kit (pip install --force-reinstall rft-kit)"
    )


def graders_dir() -> Path:
    """The grader library folder (``rft:`` names are paths under it)."""
    return library_root() / "graders"


def templates_dir() -> Path:
    """The folder of the built-in task template modules and their data."""
    return library_root() / "task_templates"


def is_library_ref(ref: object) -> bool:
    """Whether ``ref`` (a string or path) is an ``rft:NAME`` reference."""
    return isinstance(ref, str | Path) and str(ref).startswith(LIBRARY_PREFIX)


def library_graders() -> dict[str, Path]:
    """Every library grader: ``rft:`` name (without the prefix) -> file, sorted by name."""
    root = graders_dir()
    found = {
        path.relative_to(root).with_suffix("").as_posix(): path
        for path in root.rglob("*")
        if path.suffix.lower() in GRADER_SUFFIXES and path.is_file()
    }
    return dict(sorted(found.items()))


def resolve_grader(ref: str | Path) -> Path:
    """The grader file ``ref`` names: an ``rft:NAME`` library grader, else ``ref`` itself as a path.

    ``NAME`` may carry its suffix (``rft:exact_answer.yaml``).

    Raises:
        ConfigError: an unknown ``rft:`` name; the message lists the known ones (with a did-you-mean).
    """
    if not is_library_ref(ref):
        return Path(ref)
    name = str(ref)[len(LIBRARY_PREFIX) :].strip().strip("/")
    known = library_graders()
    stem = name
    for suffix in GRADER_SUFFIXES:
        stem = stem.removesuffix(suffix)
    if stem in known:
        return known[stem]
    close = difflib.get_close_matches(stem, known, n=1)
    hint = f" (did you mean 'rft:{close[0]}'?)" if close else ""
    listing = ", ".join(f"rft:{n}" for n in known)
    raise ConfigError(
        f"unknown library grader {str(ref)!r}{hint}; known: {listing} (or give a grader file path; `rft graders` "
        "lists the library)"
    )


@dataclass(frozen=True)
class LibraryGrader:
    """One grader of the library, as ``rft graders`` lists it."""

    name: str
    """The ``rft:NAME`` reference."""
    type: str
    description: str
    """The first sentence of the file's leading comment block."""
    path: Path


_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def _description(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    block = " ".join(part for part in lines if part)
    return _SENTENCE_END.split(block, maxsplit=1)[0]


def describe_library() -> list[LibraryGrader]:
    """Every library grader with its type and one-line description, sorted by name.

    Raises:
        ConfigError: a library file is not a YAML/JSON object (a broken install or a bad edit to ``graders/``).
    """
    described = []
    for name, path in library_graders().items():
        text = path.read_text(encoding="utf-8")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"cannot parse library grader: {exc}", source=str(path)) from None
        if not isinstance(value, dict):
            raise ConfigError("a library grader must be a YAML/JSON object", source=str(path))
        described.append(LibraryGrader(LIBRARY_PREFIX + name, str(value.get("type", "")), _description(text), path))
    return described
