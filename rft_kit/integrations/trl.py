"""rft-kit graders as TRL ``GRPOTrainer`` reward functions.

TRL calls each reward function once per batch as ``f(prompts=..., completions=..., completion_ids=..., **kwargs)``,
where every dataset column arrives as a keyword list (one value per completion), plus ``trainer_state``,
``log_extra``, ``log_metric`` and, with ``environment_factory``, ``environments`` (one environment object per
completion: not data, never part of the item). A completion is a string (standard format) or a list of messages
(conversational); with tools, the assistant messages carry ``tool_calls`` (``{"type": "function", "function":
{"name", "arguments": {...}}}``) and ``tool`` messages the results. TRL expects one ``float | None`` per completion;
``None`` means "no reward for this one" and TRL only logs a warning for it.

The sample a grader sees: ``output_text`` is the last assistant message's text, ``output_tools`` every tool call of
the completion in the hosted shape (``{"id", "type": "function", "function": {"name", "arguments": <JSON
string>}}``), as ``{{sample.output_tools[0].function.name}}`` expects.

A grading *error* on one sample (an unparsable output, a crashed sandbox) returns ``None`` for it, so a broken sample
is skipped instead of trained on as a confident 0. A config that cannot work raises at the first batch instead of
training on nothing: an ``{{item.*}}`` field the grader reads that no column provides (``column_map`` renames
columns, e.g. ``{"ground_truth": "answer"}`` for TRL's documented column name), or a batch in which every
completion failed to grade. Functions are callable objects (not closures) so that they pickle for multi-process
training; the grader inside pickles by its config.

Agentic tasks: :func:`environment_factory` (from :mod:`.trl_env`) gives the class for
``GRPOTrainer(environment_factory=...)``; when TRL passes those environments, the reward functions grade the episode
each one holds (the calls it executed, its final state, the completion's final answer) instead of the completion's
text alone.

Items are rebuilt from the ``item`` column (the exact task row as JSON, written by ``rft export trl``), else from
the dataset columns themselves (with ``prompt`` as ``messages``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from ..errors import ConfigError, GradeFailure
from ..graders.base import Grader
from ..graders.loading import load_grader
from ..records import GradeResult, Sample
from ..templating import resolve
from .trl_env import RftToolEnvironment, environment_factory

__all__ = ["GraderReward", "RewardConfigError", "environment_factory", "episode_samples", "reward_funcs"]

# Keyword arguments TRL passes that are not dataset columns.
_NOT_COLUMNS: Final = frozenset(
    {"trainer_state", "completion_ids", "log_extra", "log_metric", "prompts", "environments"}
)


class RewardConfigError(ConfigError):
    """The reward function cannot work on this dataset (raised at the first batch, not logged as ``None``)."""


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return "" if content is None else str(content)


def _hosted_tool_call(call: Any, index: int) -> dict[str, Any] | None:
    if not isinstance(call, Mapping):
        return None
    inner = call.get("function")
    function: Mapping[str, Any] = inner if isinstance(inner, Mapping) else call
    name = function.get("name")
    if not isinstance(name, str):
        return None
    arguments = function.get("arguments", {})
    if not isinstance(arguments, str):  # TRL parses arguments into a dict; hosted graders see the JSON string
        arguments = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
    return {
        "id": str(call.get("id") or f"call_{index}"),
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def completion_sample(completion: Any) -> Sample:
    """The hosted ``sample`` for one TRL completion (a string, or a list of messages with optional tool calls)."""
    if isinstance(completion, str):
        return Sample.from_text(completion)
    if not isinstance(completion, Sequence) or not completion:
        return Sample.from_text("")
    messages = [m for m in completion if isinstance(m, Mapping)]
    assistant = [m for m in messages if m.get("role", "assistant") == "assistant"]
    last = assistant[-1] if assistant else (messages[-1] if messages else {})
    text = _text(last.get("content")) if isinstance(last, Mapping) else _text(completion[-1])
    tools: list[dict[str, Any]] = []
    for message in assistant:
        for call in message.get("tool_calls") or []:
            hosted = _hosted_tool_call(call, len(tools))
            if hosted is not None:
                tools.append(hosted)
    return Sample.from_obj({"output_text": text, "output_tools": tools})


def episode_samples(completions: Sequence[Any], environments: Any = None) -> list[Sample]:
    """One sample per completion: the episode of its rft-kit environment when TRL passed one, else the completion."""
    samples = []
    for index, completion in enumerate(completions):
        sample = completion_sample(completion)
        env = environments[index] if isinstance(environments, Sequence) and index < len(environments) else None
        if isinstance(env, RftToolEnvironment) and env.env is not None:
            sample = Sample.from_obj(env._rft_episode(sample.output_text))
        samples.append(sample)
    return samples


class GraderReward:
    """One TRL reward function backed by a grader (optionally one sub-grader of a ``multi``).

    Args:
        grader: the grader, or a grader file / config dict.
        sub_grader: key of a ``multi`` sub-grader: reward only that part (for per-component logging).
        name: the function name TRL logs (``rewards/<name>/mean``); default ``rft_<grader name>``.
        column_map: dataset column -> item field, e.g. ``{"ground_truth": "answer"}`` when the grader reads
            ``{{item.answer}}`` and the dataset names that column ``ground_truth``.
    """

    def __init__(
        self,
        grader: Grader | str | Path | Mapping[str, Any],
        *,
        sub_grader: str | None = None,
        name: str | None = None,
        column_map: Mapping[str, str] | None = None,
    ) -> None:
        full = grader if isinstance(grader, Grader) else load_grader(grader, placement="any")
        if sub_grader is not None:
            subs = getattr(full, "graders", None)
            if not isinstance(subs, Mapping) or sub_grader not in subs:
                raise KeyError(f"{full.name!r} has no sub-grader {sub_grader!r}")
            self.grader: Grader = subs[sub_grader]
        else:
            self.grader = full
        self.column_map: dict[str, str] = dict(column_map or {})
        self.__name__ = name or (f"rft_{full.name}" if sub_grader is None else f"rft_{full.name}_{sub_grader}")

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], completion_ids: Any = None, **kwargs: Any
    ) -> list[float | None]:
        """Grade a batch: one reward per completion, ``None`` where grading one sample failed.

        Raises:
            RewardConfigError: the grader reads an item field no column provides, or every completion failed.
        """
        items = _items(len(completions), prompts, kwargs, self.column_map)
        self._check_items(items, kwargs)
        samples = episode_samples(completions, kwargs.get("environments"))
        results = self.grader.grade_batch(samples, items)
        if results and not any(r.ok for r in results):
            raise RewardConfigError(
                f"every completion of this batch failed to grade, first: {_describe(results[0])}; "
                "the config cannot work on this dataset (TRL would train on no reward at all)",
                source=self.__name__,
            )
        return [r.reward if r.ok else None for r in results]

    def _check_items(self, items: Sequence[Mapping[str, Any]], columns: Mapping[str, Any]) -> None:
        for template in self.grader.templates:
            for ref in template.refs:
                if ref.namespace != "item":
                    continue
                for item in items:
                    try:
                        resolve(ref, {"item": item, "sample": {}}, template.options)
                    except GradeFailure:
                        available = [*sorted(k for k in columns if k not in _NOT_COLUMNS), "prompt"]
                        field = ref.path[0] if ref.path else ref.text
                        hint = next((c for c in available if c not in ("prompt", "item")), "<column>")
                        raise RewardConfigError(
                            f"the grader reads {{{{{ref.describe()}}}}} but no dataset column of this batch "
                            f"provides it (columns: {', '.join(dict.fromkeys(available))}); rename the column in the "
                            "dataset or map it: "
                            f"reward_funcs(grader, column_map={{{hint!r}: {field!r}}})",
                            source=self.__name__,
                        ) from None

    def __repr__(self) -> str:
        return f"<GraderReward {self.__name__} grader={self.grader.name!r}>"


def _describe(result: GradeResult) -> str:
    if result.error is None:
        return "unknown error"
    return f"{result.error.kind} error: {result.error.message[:300]}"


def _is_data(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _items(
    n: int, prompts: Sequence[Any], columns: Mapping[str, Any], column_map: Mapping[str, str]
) -> list[dict[str, Any]]:
    exact = columns.get("item")
    if isinstance(exact, Sequence) and len(exact) == n and all(isinstance(v, str) for v in exact):
        items = [json.loads(v) for v in exact]
    else:
        items = [{} for _ in range(n)]
        for key, values in columns.items():
            if key in _NOT_COLUMNS or not isinstance(values, Sequence) or isinstance(values, str) or len(values) != n:
                continue
            if not all(_is_data(v) for v in values[:1]):  # an object TRL or a collator added, not a column of data
                continue
            for item, value in zip(items, values, strict=True):
                item["messages" if key == "prompt" else key] = value
        for item, prompt in zip(items, prompts, strict=False):
            item.setdefault("messages", prompt)
    for source, target in column_map.items():
        values = columns.get(source)
        for index, item in enumerate(items):
            if source in item:
                item[target] = item.pop(source)
            elif isinstance(values, Sequence) and not isinstance(values, str) and len(values) == n:
                item[target] = values[index]  # the exact item column holds the row; the mapped column is beside it
    return items


def reward_funcs(
    grader: Grader | str | Path | Mapping[str, Any],
    *,
    per_sub_grader: bool = False,
    column_map: Mapping[str, str] | None = None,
) -> list[GraderReward]:
    """Reward functions for ``GRPOTrainer(reward_funcs=...)``.

    Args:
        grader: the grader, a grader file or a config dict.
        per_sub_grader: for a ``multi``, one function per sub-grader instead of one for the whole formula. Each
            grades only its own sub-grader; set ``GRPOConfig.reward_weights`` to the formula's coefficients when the
            formula is a weighted sum (TRL adds weighted rewards), otherwise keep the single function.
        column_map: dataset column -> item field (``{"ground_truth": "answer"}``).
    """
    full = grader if isinstance(grader, Grader) else load_grader(grader, placement="any")
    subs = getattr(full, "graders", None)
    if per_sub_grader and isinstance(subs, Mapping):
        return [GraderReward(full, sub_grader=key, column_map=column_map) for key in subs]
    return [GraderReward(full, column_map=column_map)]
