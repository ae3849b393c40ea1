"""The one place that lists the built-in task templates.

Each entry maps a template name to ``"<module file in task_templates/>:<class>"`` (the folder is found by
:func:`rft_kit.library.templates_dir`, in a checkout or an installed wheel alike). Modules are loaded by path, lazily,
the first time a template is asked for, so ``import rft_kit`` stays cheap and nothing registers itself as an import
side effect. A path ending in ``.yaml``/``.yml`` names a user template instead (see :mod:`rft_kit.tasks.user_template`).
"""

from __future__ import annotations

import difflib
import importlib.util
import sys
from functools import cache
from typing import Any

from ..errors import ConfigError
from ..library import templates_dir
from .base import TaskGenerator

__all__ = ["TEMPLATES", "get_template", "known_templates", "templates_dir"]

TEMPLATES: dict[str, str] = {
    "arithmetic_word": "arithmetic_word.py:ArithmeticWordProblems",
    "invoice_extraction": "invoice_extraction.py:InvoiceExtraction",
    "ticket_routing": "ticket_routing.py:TicketRouting",
    "contract_clauses": "contract_clauses.py:ContractClauses",
    "tool_calling": "tool_calling.py:ToolCalling",
    "code_synthesis": "code_synthesis.py:CodeSynthesis",
    "constrained_rewrite": "constrained_rewrite.py:ConstrainedRewrite",
    "rubric_answer": "rubric_answer.py:RubricAnswer",
    # agentic (rows with tools, an environment and an oracle plan)
    "support_desk": "support_desk.py:SupportDesk",
    "calendar_scheduling": "calendar_scheduling.py:CalendarScheduling",
    "data_analysis": "data_analysis.py:DataAnalysis",
    "multi_hop_research": "multi_hop_research.py:MultiHopResearch",
}
"""Built-in templates. Add one by writing its module under ``task_templates/`` and adding one line here."""


def known_templates() -> list[str]:
    """Names of the built-in templates, sorted."""
    return sorted(TEMPLATES)


@cache
def _load(name: str) -> TaskGenerator[Any]:
    filename, _, class_name = TEMPLATES[name].partition(":")
    path = templates_dir() / filename
    if not path.is_file():
        raise ConfigError(f"template module {path} is missing; reinstall rft-kit (pip install --force-reinstall)")
    module_name = f"rft_task_templates.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load template module {path}")
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve their module through sys.modules while the class body runs
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    cls = getattr(module, class_name)
    if not (isinstance(cls, type) and issubclass(cls, TaskGenerator)):
        raise ConfigError(f"{path}:{class_name} is not a TaskGenerator")
    if cls.name != name:
        raise ConfigError(f"{path}:{class_name} declares name {cls.name!r} but is registered as {name!r}")
    return cls()


def get_template(name: str) -> TaskGenerator[Any]:
    """The generator called ``name``, or the user template at a ``.yaml``/``.yml`` path.

    Raises:
        ConfigError: unknown name (listing the known ones, with a did-you-mean), or an invalid user template.
    """
    if name.endswith((".yaml", ".yml")):
        from .user_template import load_user_template

        return load_user_template(name)
    if name not in TEMPLATES:
        close = difflib.get_close_matches(name, TEMPLATES, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(f"unknown task template {name!r}{hint}; known templates: {', '.join(known_templates())}")
    return _load(name)
