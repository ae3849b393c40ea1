"""``rft export verifiers``: an installable ``verifiers`` (0.4.0, ``verifiers.v1``) environment package.

Layout (``DIR``)::

    pyproject.toml                 # name <dist>, depends on rft-kit and verifiers; setuptools
    <module>/__init__.py           # __all__ = ["<Name>Taskset"] (verifiers' plugin rule) + load_environment()
    <module>/taskset.py            # the Taskset and Task (GRADER, ENVIRONMENT, TOOLSET)
    <module>/toolset.py            # the tool server (verifiers runs `python -m <module>.toolset` per rollout)
    <module>/tasks.jsonl           # the task rows
    <module>/grader.json           # the grader

``pip install DIR`` then ``load_environment()`` (or ``vf.load_environment(vf.resolve_env_config({"taskset":
{"id": "<module>"}}))``, which is what ``vf-eval``/prime-rl call) gives the environment. Tools, tasks and rubric are
rft-kit's (:mod:`rft_kit.integrations.verifiers`). One package serves one rft-kit environment (a verifiers task class
declares its tool servers per class, not per row).
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .._version import __version__
from ..graders.loading import build_grader, read_grader_file
from .agentic_rows import check_agentic_row
from .chat import check_prompt
from .issues import Issues
from .tasks import read_tasks

__all__ = ["VerifiersExport", "export_verifiers"]

_PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "verifiers environment written by rft-kit {version}: {rows} tasks graded by {grader!r}"
requires-python = ">=3.11"
dependencies = ["rft-kit", "verifiers>=0.4,<0.5"]

[tool.setuptools]
packages = ["{module}"]

[tool.setuptools.package-data]
{module} = ["tasks.jsonl", "grader.json"]
"""

_INIT = '''"""verifiers environment written by rft-kit: {rows} tasks, graded by {grader!r}{tools}."""

from typing import Any

from rft_kit.integrations.verifiers import LocalPythonChatHarness

from .taskset import {cls}Task, {cls}Taskset

# verifiers' plugin rule: the module exports exactly one Taskset subclass (and, here, its default harness: the
# stock chat program run on this interpreter, so an evaluation needs no uv download)
__all__ = ["LocalPythonChatHarness", "{cls}Taskset"]


def load_environment(**config: Any) -> Any:
    """The verifiers environment (a SingleAgentEnv over this taskset); ``config`` is EnvConfig fields."""
    import verifiers.v1 as vf

    raw = {{**config, "taskset": {{**config.get("taskset", {{}}), "id": __name__}}}}
    return vf.load_environment(vf.resolve_env_config(raw))
'''

_TASKSET = '''"""The taskset and task class (rft-kit's tasks, tools and grader)."""

from collections.abc import Iterator
from pathlib import Path

import verifiers.v1 as vf

from rft_kit.integrations.verifiers import RftTask, load_rft_tasks

from .toolset import {cls}Toolset

_HERE = Path(__file__).parent


class {cls}Task(RftTask):
    GRADER = _HERE / "grader.json"
    ENVIRONMENT = {environment!r}
    TOOLSET = {toolset}


class {cls}Taskset(vf.Taskset[{cls}Task, vf.TasksetConfig]):
    def load(self) -> Iterator[{cls}Task]:
        return load_rft_tasks(_HERE / "tasks.jsonl", {cls}Task, self.config.task)
'''

_TOOLSET = '''"""The tool server: verifiers starts it per rollout as `python -m {module}.toolset`."""

from rft_kit.integrations.verifiers import RftToolset


class {cls}Toolset(RftToolset):
    pass


if __name__ == "__main__":
    {cls}Toolset.run()
'''


@dataclass
class VerifiersExport:
    """What was written."""

    out_dir: Path
    module: str
    rows: int
    environment: str
    issues: Issues


def _module_name(name: str) -> str:
    module = re.sub(r"[^0-9a-zA-Z_]", "_", name).lower().strip("_") or "rft_env"
    if module[0].isdigit() or keyword.iskeyword(module):
        module = f"rft_{module}"
    return module


def export_verifiers(tasks: Path, grader_file: Path, out_dir: Path, *, name: str | None = None) -> VerifiersExport:
    """Write the package under ``out_dir``.

    Args:
        name: the module name (default ``rft_<grader name>``).

    Raises:
        ExportError: unusable rows, or rows of several environments (nothing is written).
        ConfigError: the grader file is invalid.
    """
    file = read_grader_file(grader_file, placement="any")
    grader = build_grader(file.config, source=file.source)
    module = _module_name(name or f"rft_{grader.name}")
    issues = Issues()
    read = read_tasks(tasks, issues)
    environments: dict[str, str] = {}
    for where, row in read:
        check_prompt(row, where, issues)
        if isinstance(row, Mapping) and ("environment" in row or row.get("tools")):
            check_agentic_row(row, where, issues)
            spec = row.get("environment")
            if isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
                environments.setdefault(spec["name"], where)
    if len(environments) > 1:
        issues.error(
            "tasks",
            f"the rows use {len(environments)} environments ({', '.join(sorted(environments))}); a verifiers task "
            "class declares its tool servers per class",
            "export one package per environment",
        )
    if not read:
        issues.error("tasks", "has no rows")
    issues.raise_if_errors()
    environment = next(iter(environments), "")
    cls = "".join(part.capitalize() for part in module.split("_") if part)
    package = out_dir / module
    package.mkdir(parents=True, exist_ok=True)
    rows = [row for _, row in read]
    (package / "tasks.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    (package / "grader.json").write_text(json.dumps(file.config, indent=2, ensure_ascii=False) + "\n", "utf-8")
    tools = f", tools of the {environment!r} environment" if environment else ""
    (package / "__init__.py").write_text(
        _INIT.format(rows=len(rows), grader=str(grader.name), tools=tools, cls=cls), encoding="utf-8"
    )
    toolset = f"{cls}Toolset" if environment else "None"
    (package / "taskset.py").write_text(
        _TASKSET.format(cls=cls, environment=environment, toolset=toolset), encoding="utf-8"
    )
    (package / "toolset.py").write_text(_TOOLSET.format(cls=cls, module=module), encoding="utf-8")
    (out_dir / "pyproject.toml").write_text(
        _PYPROJECT.format(
            dist=module.replace("_", "-"), version=__version__, rows=len(rows), grader=str(grader.name), module=module
        ),
        encoding="utf-8",
    )
    return VerifiersExport(out_dir, module, len(rows), environment, issues)
