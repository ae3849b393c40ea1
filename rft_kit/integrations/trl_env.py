"""rft-kit environments as TRL ``GRPOTrainer(environment_factory=...)`` classes (TRL 1.16, read from its source).

What TRL does with the class (``trl/trainer/grpo_trainer.py``):

* calls it with no arguments, once at ``__init__`` (a probe whose methods give the tool schemas rendered into the
  prompt) and again whenever a batch needs more instances; instances are pooled and reused;
* lists ``inspect.getmembers(type(instance), predicate=inspect.isfunction)``: every public function but ``reset``
  and ``get_reward`` is a tool; transformers' ``get_json_schema`` turns its signature, type hints and Google-style
  ``Args:`` docstring into the schema the model sees; the tool is called as ``method(**arguments)`` (arguments
  already parsed from JSON) and an exception becomes ``{"error": str(exc)}``;
* calls ``reset(**row)`` with every dataset column of the example before generating; a non-``None`` return is
  appended to the last prompt message (``None`` here: the prompt already states the task);
* passes ``environments`` (one instance per completion) to every reward function.

:func:`environment_factory` builds one such class per rft-kit environment. Its tool methods are generated from the
environment's OpenAI tool schemas (the ones the rows carry), so the schema TRL renders has the same names, types and
descriptions, and every call goes through :meth:`Environment.call`: the output string, and the error text for a bad
call, are exactly what ``rft rollout`` and ``rft serve-tools`` give for the same call. Each method accepts any
keyword arguments (its ``__signature__`` is what TRL shows), so a misspelt argument gets rft-kit's own "unexpected
argument" message instead of a Python ``TypeError``.

``reset`` rebuilds the environment from the row: the ``item`` column (the exact row as JSON, written by
``rft export trl``), else an ``environment`` column (an object or JSON text). Reward functions from
:func:`rft_kit.integrations.trl.reward_funcs` recognise these environments and grade the episode they hold: the
calls executed (``output_tools``, trajectory), ``final_state`` (the environment's snapshot) and the completion's
final answer.
"""

from __future__ import annotations

import inspect
import json
import keyword
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal

from ..environments import Environment, build_environment, environment_class
from ..errors import ConfigError

__all__ = ["RftToolEnvironment", "environment_factory", "row_spec"]

_JSON_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "object": dict}


def row_spec(row: Mapping[str, Any]) -> dict[str, Any]:
    """The environment spec of a dataset row (``item`` JSON first, then an ``environment`` column).

    Raises:
        ConfigError: the row carries no environment.
    """
    item = row.get("item")
    if isinstance(item, str):
        try:
            parsed = json.loads(item)
        except ValueError:
            parsed = None
        if isinstance(parsed, Mapping) and isinstance(parsed.get("environment"), Mapping):
            return dict(parsed["environment"])
    spec = row.get("environment")
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError:
            spec = None
    if isinstance(spec, Mapping):
        return dict(spec)
    raise ConfigError(
        "reset() got a row without an environment: expected an 'item' column (the task row as JSON, from `rft export "
        f"trl`) or an 'environment' column; columns: {', '.join(sorted(row))}"
    )


class RftToolEnvironment:
    """Base of the generated classes: one rft-kit environment per episode, rebuilt by ``reset``.

    Attributes:
        environment_name: the rft-kit environment the class serves (a class attribute).
        env: the live environment of the current episode (``None`` before the first ``reset``).
        calls: every call of the episode: ``{"name", "arguments" (JSON text), "output", "error"}``.
    """

    environment_name: ClassVar[str]

    def __init__(self) -> None:
        self.env: Environment | None = None
        self.calls: list[dict[str, Any]] = []

    def reset(self, **row: Any) -> None:
        """Start an episode on the environment the row describes.

        Raises:
            ConfigError: the row has no environment, or names a different one than this class serves.
        """
        spec = row_spec(row)
        if spec.get("name") != self.environment_name:
            raise ConfigError(
                f"this TRL environment serves {self.environment_name!r} but the row's environment is "
                f"{spec.get('name')!r}; build the factory from rows of one environment"
            )
        if self.env is not None:
            self.env.close()
        self.env = build_environment(spec)
        self.calls = []

    def _rft_call(self, name: str, arguments: Mapping[str, Any]) -> str:
        if self.env is None:
            raise RuntimeError("reset() was not called before a tool call")
        # the JSON text a hosted trainer would post: one code path with rft rollout and rft serve-tools
        text = json.dumps(dict(arguments), ensure_ascii=False, separators=(",", ":"))
        result = self.env.call(name, text)
        self.calls.append({"name": name, "arguments": text, "output": result.output, "error": result.error})
        return result.output

    def _rft_episode(self, final_answer: str) -> dict[str, Any]:
        """The episode so far as a rollout sample (the shape :func:`rft_kit.environments.episode.play` records)."""
        if self.env is None:
            raise RuntimeError("reset() was not called; there is no episode to grade")
        output_tools: list[dict[str, Any]] = []
        trajectory: list[dict[str, Any]] = []
        errors: dict[str, int] = {}
        for number, call in enumerate(self.calls, start=1):
            tool_call = {
                "id": f"call_{number}",
                "type": "function",
                "function": {"name": call["name"], "arguments": call["arguments"]},
            }
            output_tools.append(tool_call)
            trajectory.append({"role": "assistant", "content": None, "tool_calls": [tool_call]})
            trajectory.append({"role": "tool", "tool_call_id": tool_call["id"], "content": call["output"]})
            if call["error"] is not None:
                errors[call["error"]] = errors.get(call["error"], 0) + 1
        trajectory.append({"role": "assistant", "content": final_answer})
        return {
            "output_text": final_answer,
            "output_tools": output_tools,
            "trajectory": trajectory,
            "final_state": self.env.snapshot(),
            "stop_reason": "final_answer",
            "turns": len(output_tools) + 1,
            "tool_errors": errors,
        }


def _annotation(schema: Mapping[str, Any]) -> Any:
    if "enum" in schema and schema["enum"] and all(isinstance(v, str | int | bool) for v in schema["enum"]):
        return Literal[tuple(schema["enum"])]
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        inner = _annotation(items) if isinstance(items, Mapping) and items else None
        return list[inner] if inner is not None else list  # type: ignore[valid-type]
    if isinstance(kind, str) and kind in _JSON_TYPES:
        return _JSON_TYPES[kind]
    return str  # anyOf and untyped parameters: the model sends text; the environment's validator decides


def _docstring(function: Mapping[str, Any]) -> str:
    description = str(function.get("description") or function["name"]).strip()
    properties = function.get("parameters", {}).get("properties", {})
    if not properties:
        return description
    lines = [description, "", "Args:"]
    for param, sub in properties.items():
        text = " ".join(str(sub.get("description") or param).split())  # get_json_schema needs one per argument
        lines.append(f"    {param}: {text}")
    return "\n".join(lines)


def _tool_method(schema: Mapping[str, Any]) -> Callable[..., str]:
    function = schema["function"]
    name = function["name"]
    parameters = function.get("parameters") or {}
    properties: Mapping[str, Any] = parameters.get("properties") or {}
    required = set(parameters.get("required") or [])
    for param in properties:
        if not param.isidentifier() or keyword.iskeyword(param):
            raise ConfigError(
                f"tool {name}: parameter {param!r} is not a Python identifier; TRL calls tools by keyword"
            )

    def method(self: RftToolEnvironment, **arguments: Any) -> str:
        return self._rft_call(name, arguments)

    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {}
    ordered = [p for p in properties if p in required] + [p for p in properties if p not in required]
    for param in ordered:
        hint = _annotation(properties[param])
        if param not in required:
            hint = hint | None
        annotations[param] = hint
        default = inspect.Parameter.empty if param in required else None
        params.append(
            inspect.Parameter(param, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=hint)
        )
    annotations["return"] = str
    method.__name__ = method.__qualname__ = name
    method.__doc__ = _docstring(function)
    method.__annotations__ = annotations
    method.__signature__ = inspect.Signature(params, return_annotation=str)  # type: ignore[attr-defined]
    return method


def _tool_schemas(source: str | Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    if isinstance(source, str):
        return source, environment_class(source).tool_schemas()
    names: list[str] = []
    schemas: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(source):
        spec = row_spec(row)
        names.append(str(spec.get("name")))
        for schema in environment_class(str(spec.get("name"))).tool_schemas(spec):
            known = schemas.setdefault(schema["function"]["name"], schema)
            if known != schema:
                raise ConfigError(
                    f"row {index}: tool {schema['function']['name']!r} has a different schema than in an earlier row; "
                    "TRL renders one schema per environment class"
                )
    distinct = sorted(set(names))
    if len(distinct) != 1:
        raise ConfigError(
            f"the rows use {len(distinct)} environments ({', '.join(distinct) or 'none'}); TRL renders one tool set "
            "per environment class: build one factory per environment (environment_factory(rows_of_one_env))"
        )
    return distinct[0], list(schemas.values())


def environment_factory(source: str | Sequence[Mapping[str, Any]]) -> type[RftToolEnvironment]:
    """The class to pass as ``GRPOTrainer(environment_factory=...)``.

    Args:
        source: an environment name (its full tool set), or the dataset rows (dicts with an ``item`` or
            ``environment`` column): the tools are the union of what the rows' environments offer.

    Raises:
        ConfigError: rows of several environments, no environment in a row, or a tool TRL cannot call by keyword.
        EnvironmentFailure: an unknown environment name.
    """
    name, schemas = _tool_schemas(source)
    methods: dict[str, Any] = {}
    for schema in schemas:
        tool_name = schema["function"]["name"]
        if tool_name in ("reset", "get_reward") or tool_name.startswith("_") or not tool_name.isidentifier():
            raise ConfigError(f"tool {tool_name!r} cannot be a TRL environment method (reserved or not an identifier)")
        methods[tool_name] = _tool_method(schema)
    class_name = "".join(part.capitalize() for part in name.replace("-", "_").split("_")) + "TRLEnvironment"
    namespace = {
        "environment_name": name,
        "__module__": __name__,
        "__doc__": f"rft-kit's {name!r} environment.",
        **methods,
    }
    return type(class_name, (RftToolEnvironment,), namespace)
