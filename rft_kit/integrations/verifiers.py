"""rft-kit task sets as ``verifiers`` environments (PyPI ``verifiers`` 0.4.0: the ``verifiers.v1`` stack).

verifiers 0.4.0's API, read from its source: an environment is a *taskset package* (an installed module whose
``__all__`` exports one ``vf.Taskset`` subclass; ``vf.load_environment(vf.resolve_env_config({"taskset": {"id":
<module>}}))`` builds the ``SingleAgentEnv`` playing it). A ``Taskset.load()`` yields ``vf.Task`` objects (frozen
``TaskData`` + behaviour); a task's ``@vf.reward`` methods score a finished ``Trace``; its ``toolsets(config)`` are
MCP tool servers started *per rollout* (a subprocess running ``python -m <the toolset's module>``), which receive the
rollout's task through ``setup_task``.

Here:

* :class:`RftTaskData` carries the task row (``item``) next to the prompt;
* :class:`RftToolset` serves one rft-kit environment: ``setup_task`` builds it from the row's ``environment``, and
  each tool of the environment is registered with the MCP server under its own name (``TOOL_PREFIX = None``), with
  the schema rft-kit derives; a call runs :meth:`Environment.call` on the JSON arguments, so the output is the
  string ``rft rollout`` gets for the same call;
* :class:`RftTask` rewards a trace with the rft-kit grader: the trace's tool calls are replayed on a fresh
  environment built from the row (environments are deterministic: the state the tool server reached), giving the
  grader ``output_tools``, the trajectory, ``final_state`` and the final answer.

``rft export verifiers`` writes the package around these classes (:mod:`rft_kit.export.verifiers_pkg`).
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar

import verifiers.v1 as vf
from pydantic import WithJsonSchema
from verifiers.v1.harnesses.null import NullHarness
from verifiers.v1.harnesses.utils.launch import CHAT_PROGRAM_SOURCE, launch_chat_program

from ..environments import Environment, build_environment, environment_class
from ..environments.episode import play
from ..graders.base import Grader
from ..graders.loading import load_grader
from ..io.jsonl import iter_jsonl
from ..records import GradeResult, Sample
from .trl_env import _tool_method

__all__ = [
    "LocalPythonChatHarness",
    "RftTask",
    "RftTaskData",
    "RftToolset",
    "RftToolsetConfig",
    "episode_of",
    "load_rft_tasks",
]


class RftTaskData(vf.TaskData):
    """A task: the prompt (``system``/``user`` messages) plus the exact task row."""

    item: dict[str, Any] = {}  # noqa: RUF012 - a pydantic field (pydantic copies the default)


class RftToolsetConfig(vf.ToolsetConfig):
    """Which rft-kit environment the tool server serves."""

    environment: str = ""


class RftToolset(vf.Toolset[RftToolsetConfig, vf.State]):
    """One rft-kit environment as an MCP tool server (one server, one episode, per rollout)."""

    TOOL_PREFIX: ClassVar[str | None] = None  # the model sees the tools' own names, as in the rows

    def __init__(self, config: RftToolsetConfig) -> None:
        super().__init__(config)
        self.env: Environment | None = None

    async def setup_task(self, task: Any) -> None:
        data = getattr(task, "data", task)  # verifiers hands the server the task's data (RftTaskData)
        self.env = build_environment(data.item.get("environment"))

    def _rft_call(self, name: str, arguments: Mapping[str, Any]) -> str:
        if self.env is None:
            return f"error: the tool server has no episode (no task was set up); cannot run {name}"
        return self.env.call(name, json.dumps(dict(arguments), ensure_ascii=False, separators=(",", ":"))).output

    def register(self, mcp: Any) -> None:
        for schema in environment_class(self.config.environment).tool_schemas():
            function = _tool_method(schema)
            # MCP builds the input schema from the signature; WithJsonSchema makes each property rft-kit's own
            # (description, enum, items), so the model is shown what the rows carry
            properties = schema["function"].get("parameters", {}).get("properties", {})
            signature = inspect.signature(function)
            function.__signature__ = signature.replace(  # type: ignore[attr-defined]
                parameters=[
                    p.replace(annotation=Annotated[p.annotation, WithJsonSchema(dict(properties[p.name]))])
                    if p.name in properties
                    else p
                    for p in signature.parameters.values()
                ]
            )
            method = function.__get__(self)
            description = schema["function"].get("description") or schema["function"]["name"]
            mcp.add_tool(self._with_state(method), name=schema["function"]["name"], description=description)


class RftTask(vf.Task[RftTaskData, vf.State, vf.TaskConfig]):
    """A task graded by an rft-kit grader; subclasses set the class attributes.

    Attributes:
        GRADER: the grader file (``grader.json`` of the package).
        ENVIRONMENT: the rft-kit environment of the tasks (``""``: plain tasks, no tools).
        TOOLSET: the package's :class:`RftToolset` subclass (its module runs the server).
    """

    GRADER: ClassVar[Path]
    ENVIRONMENT: ClassVar[str] = ""
    TOOLSET: ClassVar[type[RftToolset] | None] = None
    _graders: ClassVar[dict[Path, Grader]] = {}

    @classmethod
    def grader(cls) -> Grader:
        if cls.GRADER not in cls._graders:
            cls._graders[cls.GRADER] = load_grader(cls.GRADER, placement="any")
        return cls._graders[cls.GRADER]

    @classmethod
    def toolsets(cls, config: vf.TaskConfig) -> list[vf.Toolset]:
        if not cls.ENVIRONMENT or cls.TOOLSET is None:
            return []
        return [cls.TOOLSET(RftToolsetConfig(environment=cls.ENVIRONMENT))]

    def _grade(self, trace: vf.Trace) -> GradeResult:
        return self.grader().grade(Sample.from_obj(episode_of(trace.messages, self.data.item)), self.data.item)

    @vf.reward
    async def rft_grade(self, trace: vf.Trace) -> float:
        """The rft-kit grader's reward for this trace (0 when it fails to grade, as hosted)."""
        return float(self._grade(trace).reward)

    @vf.metric
    async def rft_detail(self, trace: vf.Trace) -> dict[str, float]:
        """``grade_error`` (1 when the grader failed) and one ``sub/<key>`` per ``multi`` sub-grader (metrics, not
        rewards: verifiers sums keyed rewards, and the grader's formula already combined them)."""
        result = self._grade(trace)
        subs = getattr(self.grader(), "graders", None)
        keys = list(subs) if isinstance(subs, Mapping) else []
        return {
            "grade_error": 0.0 if result.ok else 1.0,
            **{f"sub/{key}": float(result.sub_rewards.get(key, 0.0)) for key in keys},
        }


class _LocalPython:
    """A subprocess runtime whose PEP 723 scripts run on this interpreter instead of a ``uv sync``-ed venv."""

    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runtime, name)

    async def prepare_uv_script(self, script: str | bytes, env: Any = None, *, activate: bool = True) -> list[str]:
        data = script.encode() if isinstance(script, str) else script
        path = f".vf-chat-program-{abs(hash(data))}.py"
        await self._runtime.write(path, data)
        return [sys.executable, path]


class LocalPythonChatHarness(NullHarness):
    """verifiers' own chat program (the ``null`` harness: chat completions + MCP tools), run offline.

    The stock harness bootstraps ``uv`` (downloaded from astral.sh) and ``uv sync``-s the program's dependencies
    (openai, mcp, httpx, httpx2, tenacity, certifi) into a fresh venv from PyPI at every new runtime. On a
    subprocess runtime this harness runs the same program with the current interpreter, which has them installed
    with verifiers; any other runtime keeps the stock behaviour.
    """

    async def setup(self, runtime: Any) -> None:
        if getattr(runtime, "type", None) != "subprocess":
            await super().setup(runtime)

    async def launch(
        self,
        ctx: Any,
        trace: Any,
        runtime: Any,
        endpoint: str,
        secret: str,
        mcp_urls: dict[str, str],
        data: Any,
        tool_interception_url: str | None = None,
    ) -> Any:
        if getattr(runtime, "type", None) != "subprocess":
            return await super().launch(ctx, trace, runtime, endpoint, secret, mcp_urls, data, tool_interception_url)
        system_prompt, prompt = self.resolve_prompt(data)
        extra = [f"--tool-interception-url={tool_interception_url}"] if tool_interception_url else []
        return await launch_chat_program(
            CHAT_PROGRAM_SOURCE,
            self.config,
            ctx,
            trace,
            _LocalPython(runtime),
            endpoint,
            secret,
            mcp_urls,
            system_prompt,
            prompt,
            extra_args=extra,
        )


def _dump(message: Any) -> dict[str, Any]:
    return message.model_dump(exclude_none=True) if hasattr(message, "model_dump") else dict(message)


def episode_of(messages: Iterable[Any], item: Mapping[str, Any]) -> dict[str, Any]:
    """The rollout sample of a verifiers conversation: its tool calls replayed on the row's environment."""
    dumped = [_dump(m) for m in messages]
    answer = next((str(m.get("content") or "") for m in reversed(dumped) if m.get("role") == "assistant"), "")
    calls = [
        {"name": call["name"], "arguments": call.get("arguments", "")}
        for m in dumped
        if m.get("role") == "assistant"
        for call in m.get("tool_calls") or []
    ]
    spec = item.get("environment")
    if isinstance(spec, Mapping):
        return play(spec, calls, answer)
    tools = [
        {"id": f"call_{i}", "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
        for i, c in enumerate(calls, 1)
    ]
    return {"output_text": answer, "output_tools": tools}


def _prompt(messages: Any) -> list[dict[str, Any]]:
    out = []
    for message in messages or []:
        role = message.get("role")
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
        out.append({"role": "system" if role == "developer" else role, "content": content or ""})
    return out


def load_rft_tasks(path: Path, task_cls: type[RftTask], config: vf.TaskConfig) -> Iterator[RftTask]:
    """The tasks of a task-set JSONL (the package's ``tasks.jsonl``)."""
    for line in iter_jsonl(path):
        if line.error is not None:
            raise ValueError(f"{path.name} line {line.number}: {line.error.detail}")
        row = line.value
        data = RftTaskData(id=str(row.get("id", line.number)), prompt=_prompt(row.get("messages")), item=row)
        yield task_cls(data, config)


if __name__ == "__main__":  # pragma: no cover - how verifiers starts a tool server: python -m <module>
    RftToolset.run()
