"""The build step that puts rft-kit's content into the wheel (everything else is in pyproject.toml).

The grader library (``graders/``) and the built-in task templates (``task_templates/``) stay top-level folders of the
repository, where contributors read and edit them. Building a wheel copies both into the package as
``rft_kit/_library/graders`` and ``rft_kit/_library/task_templates``; :mod:`rft_kit.library` looks there first and
falls back to the checkout's folders, which is what an editable install (and ``PYTHONPATH=.``) uses.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
LIBRARY_FOLDERS = ("graders", "task_templates")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")


class BuildWithLibrary(build_py):
    """``build_py`` plus a copy of the library folders into ``rft_kit/_library/`` of the build tree."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's folders directly
            return
        target = Path(self.build_lib) / "rft_kit" / "_library"
        for name in LIBRARY_FOLDERS:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"cannot build rft-kit: the {name}/ folder is missing from the source tree")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source, target / name, ignore=IGNORED)


setup(cmdclass={"build_py": BuildWithLibrary})
