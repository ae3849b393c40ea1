"""An item's reference answer: what its own reference fields say a perfect model output is.

This is what the SIMULATED solver models are given to work from (:mod:`rft_kit.local_openai.simulated_solver`), so
the offline loop never depends on the wording of a template's prompt:

* an item of a built-in template (``metadata.template`` names one) gets the template's
  :meth:`~rft_kit.tasks.base.TaskGenerator.reference_sample`, the output the registry-wide test grades at the
  maximum reward;
* any other item: its reference fields (every key but ``id``, ``messages``, ``tools``, ``metadata``), the value of
  the only one as text (a JSON text for an object or list), several as one JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError

__all__ = ["reference_answer", "reference_fields"]

_NOT_REFERENCE = frozenset({"id", "messages", "tools", "metadata"})


def reference_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item's reference fields: every top-level key except ``id``, ``messages``, ``tools`` and ``metadata``."""
    return {key: value for key, value in item.items() if key not in _NOT_REFERENCE}


def reference_answer(item: Mapping[str, Any]) -> str | dict[str, Any]:
    """The item's reference answer as a model output: a text, or a sample object with ``output_tools``."""
    metadata = item.get("metadata")
    template = metadata.get("template") if isinstance(metadata, Mapping) else None
    if isinstance(template, str):
        from .registry import TEMPLATES, get_template

        if template in TEMPLATES:
            try:
                return get_template(template).reference_sample(dict(item))
            except (ConfigError, KeyError, TypeError, ValueError):
                pass  # an item edited by hand, or templates not installed: fall back to the fields themselves
    fields = reference_fields(item)
    if len(fields) == 1:
        (value,) = fields.values()
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return json.dumps(fields, ensure_ascii=False)
