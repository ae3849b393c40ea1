"""Compile an extension grader into an OpenAI ``python`` grader config (for export to hosted RFT).

The generated ``source`` holds: the standard-library helper modules the grader uses (their source, verbatim, so the
hosted grader runs the same code as the local one), a small template renderer, the grader's templates as data, and a
``grade(sample, item)`` function. Hosted python graders run with the packages of image ``2025-05-08``
(docs/hosted-semantics.md: python), so only the standard library and those packages may appear in the source.

A template variable that is missing makes the hosted grader raise, which the service records as a
``python_grader_runtime_error`` with reward 0 (the local grader records ``invalid_variable_error``, also reward 0).
"""

from __future__ import annotations

import ast
import inspect
import json
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..templating import Template, VarRef

if TYPE_CHECKING:
    from .base import Grader

__all__ = ["MAX_SOURCE_BYTES", "module_source", "python_grader_config"]

MAX_SOURCE_BYTES = 256 * 1024

# The renderer shipped inside exported graders: same path rules as rft_kit.templating (json descent on, non-string
# values as compact JSON), without the error messages.
_RENDERER = """
import json as _json


def _resolve(namespace, path, sample, item):
    value = sample if namespace == "sample" else item
    for seg in path:
        if isinstance(value, str):
            value = _json.loads(value)
        if isinstance(seg, int):
            if not isinstance(value, list):
                raise KeyError(f"{namespace}: expected a list for [{seg}]")
            value = value[seg]
        else:
            if not isinstance(value, dict) or seg not in value:
                raise KeyError(f"{namespace}: key {seg!r} is missing")
            value = value[seg]
    return value


def _render(parts, sample, item):
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            value = _resolve(part[0], part[1], sample, item)
            out.append(value if isinstance(value, str) else _json.dumps(value, ensure_ascii=False))
    return "".join(out)
"""


def module_source(module: ModuleType) -> str:
    """A helper module's source without its docstring and ``from __future__`` line, ready to embed."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    tree = ast.parse(source)
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        del lines[first.lineno - 1 : first.end_lineno]
    out = [line for line in lines if not line.startswith("from __future__")]
    return "\n".join(out).strip() + "\n"


def _parts(template: Template) -> list[Any]:
    parts: list[Any] = []
    for part in template.parts:
        if isinstance(part, VarRef):
            parts.append([part.namespace, list(part.path)])
        else:
            parts.append(part)
    return parts


def python_grader_config(
    grader: Grader, modules: Sequence[ModuleType], body: str, templates: Mapping[str, Template]
) -> dict[str, Any]:
    """A hosted ``python`` grader config whose ``grade`` runs ``body``.

    In ``body``, ``{INPUT:key}`` stands for "render template ``key`` for this sample and item".
    """
    for key in templates:
        body = body.replace(f"{{INPUT:{key}}}", f"_render(TEMPLATES[{key!r}], sample, item)")
    table = {key: _parts(t) for key, t in templates.items()}
    source = "\n\n".join(
        [
            "from __future__ import annotations",
            f"# Compiled by rft-kit from a {grader.type!r} grader; the helpers below are rft-kit's own code.",
            *(module_source(m) for m in modules),
            _RENDERER.strip() + "\n",
            f"TEMPLATES = {json.dumps(table, ensure_ascii=False)}\n",
            body.strip() + "\n",
        ]
    )
    if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise ValueError(f"the compiled source is over the hosted 256 kB limit ({len(source)} bytes)")
    return {"type": "python", "name": grader.name, "source": source}
