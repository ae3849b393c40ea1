"""Task generation (docs/architecture.md: task generation): seeded, random-access generators of RFT rows, and set-level
tools.

* :class:`TaskGenerator` / :class:`TaskConfig` / :class:`Draft`: the contract a Python template implements.
* :func:`get_template` / :func:`known_templates`: the registry (built-ins in :mod:`rft_kit.tasks.registry`, user
  templates by ``.yaml`` path).
* :func:`generate` / :func:`write_items`: draw a set; :func:`set_stats`, :func:`split_items`, :func:`select_items`:
  work on sets.
"""

from .base import Draft, Levels, TaskConfig, TaskGenerator, derive_rng, stable_int
from .generate import MIXED, dumps_item, generate, load_template_grader, write_items
from .registry import TEMPLATES, get_template, known_templates
from .select import select_items
from .split import split_items
from .stats import set_stats

__all__ = [
    "MIXED",
    "TEMPLATES",
    "Draft",
    "Levels",
    "TaskConfig",
    "TaskGenerator",
    "derive_rng",
    "dumps_item",
    "generate",
    "get_template",
    "known_templates",
    "load_template_grader",
    "select_items",
    "set_stats",
    "split_items",
    "stable_int",
    "write_items",
]
