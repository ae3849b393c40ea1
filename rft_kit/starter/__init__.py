"""``rft init DIR``: a starter project for a team beginning RFT on its own domain.

The project's files live in ``files/`` beside this module (package data, so they ship in the wheel): a YAML task
template with a small CSV, a grader with golden cases, ``pipeline.yaml`` on a SIMULATED model, a GitHub Actions
workflow running ``rft check`` with JUnit output, and a README walking the loop. In the new folder, offline,
``rft check graders/`` passes and ``rft run pipeline.yaml`` runs end to end.

Names that cannot be package data as they are (setuptools' globs skip dot-files) are stored under ``dot-*`` and
renamed on the way out; ``@PROJECT@`` and ``@RFT_VERSION@`` in any file are filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .._version import __version__
from ..errors import ConfigError

__all__ = ["STARTER_FILES", "CreatedProject", "create_project"]

STARTER_FILES: Final = Path(__file__).resolve().parent / "files"
_RENAMES: Final = {"dot-github": ".github", "dot-gitignore": ".gitignore"}


@dataclass(frozen=True)
class CreatedProject:
    """What :func:`create_project` wrote."""

    root: Path
    files: list[Path]
    """Paths relative to ``root``, sorted."""


def _target_name(relative: Path) -> Path:
    return Path(*(_RENAMES.get(part, part) for part in relative.parts))


def create_project(directory: str | Path, *, force: bool = False) -> CreatedProject:
    """Write the starter project into ``directory`` (created if missing).

    Args:
        directory: the new project's folder.
        force: write into a non-empty folder, replacing the starter's files there (other files are left alone).

    Raises:
        ConfigError: ``directory`` is a file, or a non-empty folder without ``force``.
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} exists and is not a directory; choose another name")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise ConfigError(
            f"{root} is not empty; choose a new folder, or pass --force to write the starter files into it"
        )
    sources = sorted(p for p in STARTER_FILES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    if not sources:
        raise ConfigError(f"the starter project's files are missing from {STARTER_FILES}; reinstall rft-kit")
    project = root.resolve().name
    written = []
    for source in sources:
        relative = _target_name(source.relative_to(STARTER_FILES))
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        text = text.replace("@PROJECT@", project).replace("@RFT_VERSION@", __version__)
        target.write_text(text, encoding="utf-8")
        written.append(relative)
    return CreatedProject(root, sorted(written))
