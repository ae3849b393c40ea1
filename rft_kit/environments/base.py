"""The environment contract of agentic tasks (DESIGN.md section 10, AGENTIC-CONTRACT).

An environment is trusted, deterministic code with per-episode state. It is rebuilt from a task row's
``environment`` field, offers tools, and reports its final state with :meth:`Environment.snapshot`.

Tools are methods marked with :func:`tool`. Their OpenAI function schema is derived from the type hints and the
Google-style docstring (summary line = description, ``Args:`` entries = parameter descriptions), or declared with
``@tool(schema=...)``. Everything the model sends is untrusted data: :meth:`Environment.call` checks that the tool
exists, that the arguments are a JSON object, and that they satisfy the schema (jsonschema), and turns each failure,
and any exception raised inside the tool, into a :class:`ToolResult` whose text says what was wrong and how to fix
the call. Only :class:`EnvironmentFailure` (the environment itself is broken) escapes.
"""

from __future__ import annotations

import difflib
import inspect
import json
import re
import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal, TypeVar, get_args, get_origin, get_type_hints

import jsonschema
from jsonschema import Draft202012Validator

from ..errors import RftKitError

__all__ = [
    "CATALOGUE_METHOD",
    "Environment",
    "EnvironmentFailure",
    "ToolError",
    "ToolErrorKind",
    "ToolResult",
    "ToolSpec",
    "compile_tool",
    "derive_schema",
    "render_output",
    "spec_field",
    "tool",
]

ToolErrorKind = Literal["unknown_tool", "bad_json", "bad_arguments", "tool_error"]
TOOL_ERROR_KINDS: Final = ("unknown_tool", "bad_json", "bad_arguments", "tool_error")

# ToolSpec.method of tools that are data, not methods (a catalogue); Environment.catalogue_call runs them.
CATALOGUE_METHOD: Final = "<catalogue>"

# Arguments longer than this are refused before parsing: no tool here takes more, and a multi-megabyte string from
# a looping model should cost nothing.
MAX_ARGUMENT_CHARS: Final = 100_000


@dataclass(frozen=True)
class ToolResult:
    """What one tool call returned.

    Attributes:
        output: exactly the string the model sees as the tool message content.
        error: ``None`` for a call that ran, else what the model did wrong.
    """

    output: str
    error: ToolErrorKind | None = None


class EnvironmentFailure(RftKitError):
    """The environment itself broke (bad spec, sandbox down, snapshot failed); the rollout ends with ``env_error``."""


class ToolError(Exception):
    """Raised by a tool for a problem the model can fix (an unknown order id, a slot in the past).

    The message is shown to the model as the tool result, so it should say what was wrong and what to do instead.
    """


F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ToolSpec:
    """One tool of an environment class: the method name, its OpenAI function schema and a compiled validator."""

    name: str
    method: str
    schema: dict[str, Any]
    validator: Draft202012Validator
    int_params: frozenset[str]

    @property
    def parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = self.schema["function"]["parameters"]
        return params

    def signature(self) -> str:
        """``name(a: string, b?: integer)``: the call shape quoted in error messages."""
        props = self.parameters.get("properties", {})
        required = set(self.parameters.get("required", []))
        parts = [f"{key}{'' if key in required else '?'}: {_type_word(sub)}" for key, sub in props.items()]
        return f"{self.name}({', '.join(parts)})"


def tool(fn: F | None = None, *, name: str | None = None, schema: Mapping[str, Any] | None = None) -> Any:
    """Mark an environment method as a tool.

    Args:
        fn: the method (when used as a bare ``@tool``).
        name: the tool name the model sees (default: the method name).
        schema: a declared JSON Schema for the parameters, instead of the one derived from the signature.
    """

    def mark(f: F) -> F:
        f.__rft_tool__ = {"name": name or f.__name__, "schema": dict(schema) if schema is not None else None}  # type: ignore[attr-defined]
        return f

    return mark(fn) if fn is not None else mark


# ---------------------------------------------------------------------------------------------- schema derivation

_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_SECTION = re.compile(r"^\s*[A-Z][A-Za-z ]*:\s*$")
_ARG_LINE = re.compile(r"^\s*(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The description (text before the first section) and ``Args:`` entries of a Google-style docstring."""
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    args: dict[str, str] = {}
    i = 0
    while i < len(lines) and not _SECTION.match(lines[i]):
        summary.append(lines[i].strip())
        i += 1
    current: str | None = None
    in_args = False
    indent = 0
    for line in lines[i:]:
        if _ARGS_HEADER.match(line):
            in_args, current = True, None
            continue
        if _SECTION.match(line) and not line.startswith(" "):
            in_args = False
            continue
        if not in_args or not line.strip():
            continue
        stripped_indent = len(line) - len(line.lstrip())
        match = _ARG_LINE.match(line)
        if match and (current is None or stripped_indent <= indent):
            current, indent = match.group(1), stripped_indent
            args[current] = match.group(3).strip()
        elif current is not None:
            args[current] = f"{args[current]} {line.strip()}".strip()
    description = " ".join(part for part in summary if part).strip()
    return description, args


def _json_type(annotation: Any, where: str) -> dict[str, Any]:
    """The JSON Schema of a Python annotation; only the shapes a model can send are allowed."""
    origin = get_origin(annotation)
    if annotation is str:
        return {"type": "string"}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is float:
        return {"type": "number"}
    if origin is Literal:
        values = list(get_args(annotation))
        kinds = {type(v) for v in values}
        out: dict[str, Any] = {"enum": values}
        if kinds == {str}:
            out = {"type": "string", "enum": values}
        elif kinds <= {int}:
            out = {"type": "integer", "enum": values}
        return out
    if origin in (list, typing.List):  # noqa: UP006 - matching the alias too
        (inner,) = get_args(annotation) or (Any,)
        items = {} if inner is Any else _json_type(inner, where)
        return {"type": "array", "items": items} if items else {"type": "array"}
    if origin in (dict, typing.Dict) or annotation is dict:  # noqa: UP006
        return {"type": "object"}
    if origin in (typing.Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _json_type(members[0], where)
        return {"anyOf": [_json_type(m, where) for m in members]}
    raise TypeError(
        f"{where}: annotation {annotation!r} has no JSON Schema form; use str, int, float, bool, "
        "Literal[...], list[...] or dict[str, Any]"
    )


def derive_schema(method: Callable[..., Any], *, name: str | None = None) -> dict[str, Any]:
    """The OpenAI function tool schema of ``method`` from its signature and docstring.

    Parameters without a default are required; ``X | None = None`` parameters are optional. Unknown arguments are
    rejected (``additionalProperties: false``) so that a misspelt argument is reported instead of ignored.

    Raises:
        TypeError: a parameter without an annotation, an unsupported annotation, or no docstring.
    """
    tool_name = name or method.__name__
    doc = inspect.getdoc(method)
    if not doc:
        raise TypeError(f"tool {tool_name} has no docstring; its first line becomes the tool description")
    description, arg_docs = _parse_docstring(doc)
    hints = get_type_hints(method)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in inspect.signature(method).parameters.values():
        if param.name == "self":
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tool {tool_name}: *args/**kwargs cannot be described to a model")
        if param.name not in hints:
            raise TypeError(f"tool {tool_name}: parameter {param.name!r} needs a type annotation")
        prop = _json_type(hints[param.name], f"tool {tool_name}, parameter {param.name}")
        if param.name in arg_docs:
            prop = {**prop, "description": arg_docs[param.name]}
        if param.default is not inspect.Parameter.empty and param.default is not None:
            prop["default"] = param.default
        properties[param.name] = prop
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
    parameters: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        parameters["required"] = required
    return {"type": "function", "function": {"name": tool_name, "description": description, "parameters": parameters}}


def _type_word(sub: Mapping[str, Any]) -> str:
    if "enum" in sub:
        return " | ".join(json.dumps(v) for v in sub["enum"])
    kind = sub.get("type")
    if kind == "array":
        inner = sub.get("items")
        return f"array of {_type_word(inner)}" if isinstance(inner, Mapping) and inner else "array"
    if isinstance(kind, str):
        return kind
    if "anyOf" in sub:
        return " | ".join(_type_word(s) for s in sub["anyOf"] if isinstance(s, Mapping))
    return "any"


def compile_tool(name: str, method: str, schema: dict[str, Any], int_params: frozenset[str] = frozenset()) -> ToolSpec:
    """A :class:`ToolSpec` from an OpenAI function schema (the parameters must be a valid JSON Schema)."""
    parameters = schema["function"]["parameters"]
    Draft202012Validator.check_schema(parameters)
    return ToolSpec(name, method, schema, Draft202012Validator(parameters), int_params)


def render_output(value: Any) -> str:
    """The text the model sees for a tool's return value: strings verbatim, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _error_path(error: jsonschema.ValidationError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return path.lstrip(".") or "(the arguments object)"


def _short(value: Any, limit: int = 80) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_schema_error(error: jsonschema.ValidationError) -> str:
    where = _error_path(error)
    schema: Any = error.schema
    instance: Any = error.instance
    validator_value: Any = error.validator_value
    if error.validator == "additionalProperties":
        extra = sorted(set(instance) - set(schema.get("properties", {})))
        return f"unexpected argument(s) {', '.join(map(repr, extra))}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required but missing")
    if error.validator == "type":
        return f"{where}: expected {_type_word(schema)}, got {_short(instance)}"
    if error.validator == "enum":
        allowed = ", ".join(json.dumps(v) for v in validator_value)
        return f"{where}: {_short(instance)} is not one of {allowed}"
    return f"{where}: {error.message if len(error.message) < 200 else error.message[:197] + '...'}"


class Environment(ABC):
    """Base of every environment.

    Subclasses set ``name``, mark tool methods with :func:`tool`, build their state in ``__init__`` (calling
    ``super().__init__(spec)`` first) and implement :meth:`snapshot`. The base derives and caches the tool schemas
    and validators once per class.
    """

    name: ClassVar[str]
    _specs: ClassVar[dict[str, ToolSpec]]

    def __init__(self, spec: Mapping[str, Any]) -> None:
        if not isinstance(spec, Mapping):
            raise EnvironmentFailure(f"an environment spec must be an object, got {type(spec).__name__}")
        if spec.get("name") != self.name:
            raise EnvironmentFailure(
                f"environment spec names {spec.get('name')!r} but was given to environment {self.name!r}"
            )
        self.spec: Mapping[str, Any] = spec

    # ------------------------------------------------------------------------------------------ tool discovery
    @classmethod
    def _tool_specs(cls) -> dict[str, ToolSpec]:
        """Every tool of the class, derived once (the dict is stored on the class itself, not a base class)."""
        cached: dict[str, ToolSpec] | None = cls.__dict__.get("_specs")
        if cached is not None:
            return cached
        found: dict[str, ToolSpec] = {}
        for attr in dir(cls):
            member = getattr(cls, attr, None)
            mark = getattr(member, "__rft_tool__", None)
            if mark is None or not callable(member):
                continue
            name = mark["name"]
            if mark["schema"] is not None:
                fn_doc = inspect.getdoc(member) or ""
                schema = {
                    "type": "function",
                    "function": {
                        "name": name,
                        "description": _parse_docstring(fn_doc)[0] if fn_doc else name,
                        "parameters": mark["schema"],
                    },
                }
            else:
                schema = derive_schema(member, name=name)
            hints = get_type_hints(member)
            ints = frozenset(p for p, h in hints.items() if h is int or (h == (int | None)))
            found[name] = compile_tool(name, attr, schema, ints)
        # definition order is what the model sees: the class's own tools first, then its bases' (a mixin's), each in
        # source-line order; stable across processes and installs
        ordered = dict(sorted(found.items(), key=lambda kv: _definition_key(cls, kv[1].method)))
        cls._specs = ordered
        return ordered

    @classmethod
    def tool_schemas(cls, spec: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The OpenAI chat-completions ``tools`` list this environment offers for ``spec``.

        The default is every tool of the class; environments whose offer depends on the spec override this.
        Returned dicts are fresh copies (callers may mutate them).
        """
        return [json.loads(json.dumps(s.schema)) for s in cls._tool_specs().values()]

    def callable_tools(self) -> dict[str, ToolSpec]:
        """The tools this episode accepts calls to (by default every tool of the class)."""
        return self._tool_specs()

    def catalogue_call(self, name: str, arguments: dict[str, Any]) -> Any:
        """Run a tool that is not a method (a catalogue entry whose spec has ``method == CATALOGUE_METHOD``)."""
        raise EnvironmentFailure(f"tool {name} is declared as a catalogue tool but {self.name} has no catalogue")

    # ------------------------------------------------------------------------------------------ calls
    def call(self, name: str, arguments: str) -> ToolResult:
        """Execute one tool call from the model.

        Never raises for anything the model did; raises :class:`EnvironmentFailure` only when the environment is
        broken.
        """
        tools = self.callable_tools()
        spec = tools.get(name) if isinstance(name, str) else None
        if spec is None:
            return ToolResult(self._unknown_tool_message(name, tools), "unknown_tool")
        if isinstance(arguments, Mapping):  # an already-decoded object (tests, trainers' environment interfaces)
            args: Any = dict(arguments)
        elif not isinstance(arguments, str):
            return ToolResult(
                f"error: the arguments of {name} must be a JSON object string, got {type(arguments).__name__}; "
                f"call it as {spec.signature()}",
                "bad_json",
            )
        elif len(arguments) > MAX_ARGUMENT_CHARS:
            return ToolResult(
                f"error: the arguments of {name} are {len(arguments)} characters long (limit {MAX_ARGUMENT_CHARS}); "
                f"send a small JSON object: {spec.signature()}",
                "bad_json",
            )
        else:
            text = arguments.strip() or "{}"  # an empty string is what some models send for a call without arguments
            try:
                args = json.loads(text)
            except (ValueError, RecursionError) as exc:
                why = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
                return ToolResult(
                    f"error: the arguments of {name} are not valid JSON ({why}); send a JSON object such as "
                    f"{self._example(spec)}",
                    "bad_json",
                )
        if not isinstance(args, dict):
            return ToolResult(
                f"error: the arguments of {name} must be a JSON object, got {type(args).__name__} "
                f"{_short(args)}; call it as {spec.signature()}",
                "bad_arguments",
            )
        try:
            errors = sorted(
                spec.validator.iter_errors(args), key=lambda e: (list(map(str, e.absolute_path)), e.message)
            )
        except RecursionError:
            return ToolResult(
                f"error: the arguments of {name} nest too deeply; call it as {spec.signature()}", "bad_arguments"
            )
        if errors:
            problems = "; ".join(_describe_schema_error(e) for e in errors[:5])
            return ToolResult(
                f"error: invalid arguments for {name}: {problems}. Call it as {spec.signature()}",
                "bad_arguments",
            )
        for key in spec.int_params:  # JSON Schema counts 3.0 as an integer; the method should see 3
            value = args.get(key)
            if isinstance(value, float):
                args[key] = int(value)
        try:
            if spec.method == CATALOGUE_METHOD:
                value = self.catalogue_call(spec.name, args)
            else:
                value = getattr(self, spec.method)(**args)
        except EnvironmentFailure:
            raise
        except ToolError as exc:
            return ToolResult(f"error: {exc}", "tool_error")
        except Exception as exc:
            return ToolResult(
                f"error: {name} failed ({type(exc).__name__}: {exc}); check the arguments against "
                f"{spec.signature()} and try again",
                "tool_error",
            )
        if isinstance(value, ToolResult):  # a dispatch tool (call_tool) passes its inner result through
            return value
        try:
            return ToolResult(render_output(value))
        except (TypeError, ValueError) as exc:
            raise EnvironmentFailure(f"tool {name} returned a value that is not JSON: {exc}") from exc

    def _unknown_tool_message(self, name: object, tools: Mapping[str, ToolSpec]) -> str:
        shown = name if isinstance(name, str) else repr(name)
        close = difflib.get_close_matches(shown, list(tools), n=1) if isinstance(name, str) else []
        hint = f" Did you mean '{close[0]}'?" if close else ""
        listed = ", ".join(sorted(tools))
        return f"error: there is no tool named '{_clip(shown)}'.{hint} Available tools: {listed}."

    @staticmethod
    def _example(spec: ToolSpec) -> str:
        props = spec.parameters.get("properties", {})
        required = spec.parameters.get("required", [])
        sample = {key: _placeholder(props.get(key, {})) for key in required}
        return json.dumps(sample)

    # ------------------------------------------------------------------------------------------ state
    @abstractmethod
    def snapshot(self) -> dict[str, Any]:
        """The state graders see, as plain JSON (same spec + same calls: byte-identical)."""

    def close(self) -> None:  # noqa: B027 - optional hook; most environments hold nothing to release
        """Release resources (sandbox files etc.); idempotent. The default has nothing to release."""

    def __enter__(self) -> Environment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _placeholder(sub: Mapping[str, Any]) -> Any:
    if "enum" in sub:
        return sub["enum"][0]
    return {"string": "...", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}.get(
        str(sub.get("type")), "..."
    )


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _definition_key(cls: type, attr: str) -> tuple[int, int]:
    depth = next((i for i, klass in enumerate(cls.__mro__) if attr in vars(klass)), len(cls.__mro__))
    try:
        line = int(getattr(cls, attr).__code__.co_firstlineno)
    except AttributeError:
        line = 0
    return depth, line


def spec_field(spec: Mapping[str, Any], key: str, kind: type | tuple[type, ...], env: str) -> Any:
    """``spec[key]`` checked to be of ``kind``; a missing or mistyped field is an :class:`EnvironmentFailure`."""
    if key not in spec:
        raise EnvironmentFailure(f"environment {env!r}: the spec has no {key!r} field")
    value = spec[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise EnvironmentFailure(f"environment {env!r}: spec field {key!r} must be {want}, got {type(value).__name__}")
    return value
