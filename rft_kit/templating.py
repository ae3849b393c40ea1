"""The ``{{item.*}}`` / ``{{sample.*}}`` template language of OpenAI graders (docs/hosted-semantics.md: templates).

A template is compiled once, at grader load, into literal text and variable references; rendering walks that list
once. Text that comes out of a variable is never scanned again, so a sample that contains ``{{item.answer}}`` gets that
text verbatim, not the answer (single-pass rendering is what makes template injection impossible).

Paths: ``namespace`` then ``.key`` or ``[index]`` segments (``sample.output_tools[0].function.arguments.symbols``);
``["quoted key"]`` reaches keys with spaces or dots. When a segment meets a string that holds JSON, the string is
parsed and the walk continues inside it (hosted cookbooks rely on this for ``function.arguments``; UNVERIFIED upstream,
switchable with ``json_descent=False``). Strings render verbatim; every other value renders as compact JSON
(``ensure_ascii=False``) unless ``value_format="python"`` asks for ``str()``.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from .errors import ConfigError, GradeFailure
from .records import json_problem

__all__ = [
    "NAMESPACES",
    "RenderOptions",
    "Template",
    "VarRef",
    "compile_template",
    "resolve",
]

NAMESPACES: Final = ("item", "sample")

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_SEGMENT = re.compile(
    r"""\s*(?:
        \.(?P<key>[A-Za-z_$][\w$-]*)            # .key
      | \[\s*(?P<index>-?[0-9]{1,18})\s*\]       # [0]
      | \[\s*(?P<quoted>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\]   # ["key with spaces"]
    )""",
    re.VERBOSE,
)
_HEAD = re.compile(r"\s*(?P<ns>[A-Za-z_][\w]*)")

_SAMPLE_KEYS: Final = (
    "choices",
    "output_text",
    "output_json",
    "output_tools",
    "output_audio",
    # episode fields of rollout samples (ours, not hosted): {{sample.trajectory}} renders as a transcript
    "trajectory",
    "final_state",
)
_TRAJECTORY: Final = ("trajectory",)


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Undocumented hosted behaviours, made switchable.

    Attributes:
        value_format: ``"json"`` renders non-string values as JSON (``true``, ``{"a": 1}``); ``"python"`` uses
            ``str()`` (``True``, ``{'a': 1}``).
        json_descent: continue a path into a string that holds JSON (``arguments.symbols``).
    """

    value_format: Literal["json", "python"] = "json"
    json_descent: bool = True


DEFAULT_RENDER: Final = RenderOptions()


@dataclass(frozen=True, slots=True)
class VarRef:
    """A parsed ``{{namespace.path}}`` reference."""

    namespace: str
    path: tuple[str | int, ...]
    text: str  # the reference as written, for messages

    def describe(self) -> str:
        out = self.namespace
        for seg in self.path:
            out += f"[{seg}]" if isinstance(seg, int) else f".{seg}"
        return out


def _parse_ref(body: str, *, field: str) -> VarRef:
    head = _HEAD.match(body)
    if head is None:
        raise ConfigError(
            f"template placeholder '{{{{{body}}}}}' is empty or malformed; write {{{{item.<key>}}}} or "
            "{{sample.output_text}}",
            path=field,
        )
    namespace = head.group("ns")
    if namespace not in NAMESPACES:
        raise ConfigError(
            f"template placeholder '{{{{{body.strip()}}}}}' uses namespace '{namespace}'; only 'item' and "
            "'sample' exist (e.g. {{item.answer}}, {{sample.output_text}})",
            path=field,
        )
    pos = head.end()
    path: list[str | int] = []
    while pos < len(body) and body[pos:].strip():
        seg = _SEGMENT.match(body, pos)
        if seg is None:
            raise ConfigError(
                f"template placeholder '{{{{{body.strip()}}}}}' has an invalid path at "
                f"'{body[pos:].strip()}'; use .key, [index] or [\"quoted key\"]",
                path=field,
            )
        if seg.group("key") is not None:
            path.append(seg.group("key"))
        elif seg.group("index") is not None:
            path.append(int(seg.group("index")))
        else:
            quoted = seg.group("quoted")
            try:
                path.append(str(json.loads(quoted) if quoted[0] == '"' else quoted[1:-1]))
            except ValueError:
                raise ConfigError(
                    f"template placeholder '{{{{{body.strip()}}}}}' has a quoted key that is not a valid JSON string: "
                    f"{quoted}",
                    path=field,
                ) from None
        pos = seg.end()
    if not path:
        raise ConfigError(
            f"template placeholder '{{{{{body.strip()}}}}}' names a namespace but no variable; write e.g. "
            f"{{{{{namespace}.{'output_text' if namespace == 'sample' else 'answer'}}}}}",
            path=field,
        )
    if namespace == "sample" and path[0] not in _SAMPLE_KEYS:
        raise ConfigError(
            f"'{{{{{body.strip()}}}}}': the sample namespace has only {', '.join(_SAMPLE_KEYS)}",
            path=field,
        )
    return VarRef(namespace, tuple(path), body.strip())


def _walk_failure(ref: VarRef, depth: int, why: str) -> GradeFailure:
    walked = VarRef(ref.namespace, ref.path[:depth], "").describe()
    return GradeFailure("template", "invalid_variable_error", f"{{{{{ref.text}}}}}: {why} at {walked}")


def resolve(ref: VarRef, roots: Mapping[str, Any], options: RenderOptions = DEFAULT_RENDER) -> Any:
    """Follow ``ref`` through ``roots`` (``{"item": ..., "sample": ...}``).

    Raises:
        GradeFailure: ``invalid_variable_error`` when the path does not exist.
    """
    value = roots[ref.namespace]
    for depth, seg in enumerate(ref.path):
        if isinstance(value, str) and options.json_descent:
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                raise _walk_failure(ref, depth, "a string that is not JSON cannot be indexed") from None
        if isinstance(seg, int):
            if not isinstance(value, list):
                raise _walk_failure(ref, depth, f"expected a list for [{seg}], found {_kind(value)}")
            if not -len(value) <= seg < len(value):
                raise _walk_failure(ref, depth, f"index {seg} is out of range (length {len(value)})")
            value = value[seg]
        else:
            if not isinstance(value, Mapping):
                raise _walk_failure(ref, depth, f"expected an object for key '{seg}', found {_kind(value)}")
            if seg not in value:
                keys = ", ".join(sorted(map(str, value))[:12]) or "none"
                raise _walk_failure(ref, depth, f"key '{seg}' is missing (keys present: {keys})")
            value = value[seg]
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )


def to_text(value: Any, options: RenderOptions = DEFAULT_RENDER) -> str:
    """How a resolved value is written into rendered text."""
    if isinstance(value, str):
        return value
    if options.value_format == "python":
        return str(value)
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled template: literal strings and variable references, in order."""

    source: str
    parts: tuple[str | VarRef, ...]
    options: RenderOptions = DEFAULT_RENDER

    @property
    def refs(self) -> tuple[VarRef, ...]:
        return tuple(p for p in self.parts if isinstance(p, VarRef))

    @property
    def is_literal(self) -> bool:
        return not self.refs

    def render(self, sample: Mapping[str, Any], item: Mapping[str, Any]) -> str:
        """Render against a sample namespace dict and an item.

        Raises:
            GradeFailure: for a missing variable (``invalid_variable_error``), or a ``sample_parse_error`` when the
                template reads ``sample.output_json`` and the output was not JSON.
        """
        if len(self.parts) == 1:
            part = self.parts[0]
            if isinstance(part, str):
                return part
            return self._text(part, sample, item)
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(self._text(part, sample, item))
        return "".join(out)

    def _text(self, ref: VarRef, sample: Mapping[str, Any], item: Mapping[str, Any]) -> str:
        value = self._value(ref, sample, item)
        if ref.namespace == "sample" and ref.path == _TRAJECTORY:
            from .transcript import render_transcript  # only episodes need it

            return render_transcript(value)
        return to_text(value, self.options)

    def _value(self, ref: VarRef, sample: Mapping[str, Any], item: Mapping[str, Any]) -> Any:
        if ref.namespace == "sample" and ref.path[0] == "output_json" and sample.get("output_json") is None:
            # With response_format this is what the hosted service calls a sample parse error; say why.
            why = json_problem(str(sample.get("output_text") or ""))
            raise GradeFailure(
                "parse",
                "sample_parse_error",
                f"{{{{{ref.text}}}}}: sample.output_json is null because {why}",
            )
        return resolve(ref, {"sample": sample, "item": item}, self.options)

    def fast_getters(self) -> tuple[str, Callable[[Any], Any]] | None:
        """For a template that is exactly one ``{{ns.key}}``, a C-level getter for batch grading.

        Returns ``(namespace, getter)`` where the getter maps a namespace dict to the raw value (raising ``KeyError``
        or ``TypeError`` when absent; batch callers then fall back to :meth:`render`), else ``None``.
        """
        if len(self.parts) != 1 or not isinstance(self.parts[0], VarRef):
            return None
        ref = self.parts[0]
        if len(ref.path) != 1 or not isinstance(ref.path[0], str):
            return None
        return ref.namespace, operator.itemgetter(ref.path[0])


def compile_template(source: str, *, field: str = "", options: RenderOptions = DEFAULT_RENDER) -> Template:
    """Compile ``source``; ``field`` is its JSON path, used in error messages.

    Raises:
        ConfigError: for a malformed placeholder, an unknown namespace or an unknown ``sample`` field.
    """
    parts: list[str | VarRef] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(source):
        if match.start() > pos:
            parts.append(source[pos : match.start()])
        parts.append(_parse_ref(match.group(1), field=field))
        pos = match.end()
    if pos < len(source):
        parts.append(source[pos:])
    return Template(source, tuple(parts), options)


def template_refs(templates: Sequence[Template]) -> list[VarRef]:
    """Every variable the templates read, in order (for static checks against items)."""
    return [ref for t in templates for ref in t.refs]
