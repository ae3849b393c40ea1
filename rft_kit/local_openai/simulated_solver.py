"""A SIMULATED solver model: answers task items so that the offline loop has something to sample and grade.

Nothing here is a language model, and it does not read the prompt to solve anything. The caller sends, with each
request, the item's reference answer (what the item's own reference fields say a perfect output is) in a request
field only this backend reads::

    "rft_simulation": {"item_id": "invoice-7", "answer": "{\\"total\\": 12.5, ...}", "difficulty": "hard"}

``answer`` is a text, or a sample object ``{"output_text": "", "output_tools": [tool calls]}`` for tool-calling
items. The sampler (:mod:`rft_kit.sampling`) fills this field for solver model names only, from
:func:`rft_kit.tasks.reference.reference_answer`; a request without it is refused with 400. The solver then leaves the
answer intact or corrupts it, following this seeded noise model:

**Success probability** of one sample of ``model`` on an item::

    p = clamp(skill[model] + 1.2 * (ease(item_id) - 0.5) - penalty[difficulty], 0, 1)

``skill`` (:data:`SOLVER_MODELS`): ``sim-weak`` 0.40, ``sim-base`` 0.60, ``sim-strong`` 0.85. ``ease`` is a number
in [0, 1) hashed from the item id alone, so the same items are hard for every model; the spread of 1.2 puts some
items at p = 0 or 1 (no learning signal) and leaves the rest varying between samples. ``penalty``
(:data:`DIFFICULTY_PENALTY`): easy 0, medium 0.05, hard 0.15, anything else 0.

**Draws.** Sample ``seed`` of ``model`` on an item is wrong when ``u("draw", model, item_id, seed) >= p``, with
``u`` a SHA-256 hash mapped to [0, 1): deterministic across processes and machines. ``temperature=0`` uses seed 0
(a greedy model repeats itself). The sampler sends ``seed = sample_index``; a request with ``n > 1`` gets the
choices of ``seed``, ``seed + 1``, ...

**Corruption** of a wrong sample (``pick = u("pick", model, item_id, seed)``):

* a JSON object answer: with probability 0.15 prose instead of JSON (a parse error for the grader), else one field
  (``sorted(keys)[pick * len]``) changed: a number gets ``1 + floor(pick * 3)`` added, a text its corruption below;
* a tool call: one argument changed the same way (a call without arguments gets the tool name ``<name>_v2``);
* a text: a digit changed (the ``pick``-th digit becomes ``(d + 1 + floor(pick * 8)) % 10``); without digits, the
  last third of its words dropped; a single word becomes ``unsure``.

The reply is a pure function of (model, ``rft_simulation``, temperature, seed, choice index, ``max_tokens``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .errors import ApiError
from .simulated_judge import count_tokens

__all__ = [
    "DIFFICULTY_PENALTY",
    "SIMULATION_FIELD",
    "SOLVER_MODELS",
    "complete",
    "item_ease",
    "success_probability",
]

SOLVER_MODELS: Final[Mapping[str, float]] = {"sim-weak": 0.40, "sim-base": 0.60, "sim-strong": 0.85}
"""SIMULATED solver model names and their skill (the typical share of answers left intact)."""
DIFFICULTY_PENALTY: Final[Mapping[str, float]] = {"easy": 0.0, "medium": 0.05, "hard": 0.15}
"""How much harder a difficulty level makes every item (subtracted from the success probability)."""
SIMULATION_FIELD: Final = "rft_simulation"
"""The request field carrying the item's reference answer (read by this backend only)."""

_EASE_SPREAD: Final = 1.2
_PARSE_ERROR_SHARE: Final = 0.15
_FINGERPRINT: Final = "rft-kit-simulated-solver"


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from a hash of ``parts`` (stable across processes and Python versions)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def item_ease(item_id: str) -> float:
    """The item's ease in [0, 1), shared by every solver model (a hash of the item id)."""
    return _unit("ease", item_id)


def success_probability(model: str, item_id: str, difficulty: str | None = None) -> float:
    """The chance that one sample of ``model`` leaves its answer to item ``item_id`` intact (module docstring)."""
    penalty = DIFFICULTY_PENALTY.get(difficulty or "", 0.0)
    p = SOLVER_MODELS[model] + _EASE_SPREAD * (item_ease(item_id) - 0.5) - penalty
    return min(1.0, max(0.0, p))


# ------------------------------------------------------------------------------------------------- the answer
@dataclass(frozen=True)
class _Answer:
    """An answer before rendering: a text (maybe a JSON object), or a tool call."""

    text: str = ""
    tool: Mapping[str, Any] | None = None  # {"name": str, "arguments": dict}


def _read_simulation(body: Mapping[str, Any]) -> tuple[str, _Answer, str | None]:
    sim = body.get(SIMULATION_FIELD)
    if not isinstance(sim, Mapping):
        raise ApiError(
            400,
            f"The SIMULATED solver models answer only requests that carry the item's reference answer in "
            f"'{SIMULATION_FIELD}' ({{item_id, answer, difficulty}}); rft sample and rft run send it "
            f"(see rft_kit.local_openai.simulated_solver).",
            param=SIMULATION_FIELD,
        )
    item_id, answer, difficulty = sim.get("item_id"), sim.get("answer"), sim.get("difficulty")
    if not isinstance(item_id, str) or not item_id:
        raise ApiError(400, f"'{SIMULATION_FIELD}.item_id' must be a non-empty string.", param=SIMULATION_FIELD)
    if difficulty is not None and not isinstance(difficulty, str):
        raise ApiError(400, f"'{SIMULATION_FIELD}.difficulty' must be a string.", param=SIMULATION_FIELD)
    return item_id, _parse_answer(answer), difficulty


def _parse_answer(answer: Any) -> _Answer:
    if isinstance(answer, str):
        return _Answer(text=answer)
    if isinstance(answer, Mapping):
        calls = answer.get("output_tools")
        if isinstance(calls, list) and calls and isinstance(calls[0], Mapping):
            function = calls[0].get("function") or {}
            raw = function.get("arguments", "{}") if isinstance(function, Mapping) else "{}"
            try:
                arguments = json.loads(raw) if isinstance(raw, str) else dict(raw)
            except (ValueError, TypeError):
                arguments = {}
            name = function.get("name", "") if isinstance(function, Mapping) else ""
            return _Answer(tool={"name": str(name), "arguments": arguments if isinstance(arguments, dict) else {}})
        return _Answer(text=str(answer.get("output_text") or ""))
    raise ApiError(
        400,
        f"'{SIMULATION_FIELD}.answer' must be a text or a sample object with output_tools.",
        param=SIMULATION_FIELD,
    )


# ------------------------------------------------------------------------------------------------- corrupting
def _corrupt_text(text: str, pick: float) -> str:
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if digits:
        at = digits[int(pick * len(digits))]
        return text[:at] + str((int(text[at]) + 1 + int(pick * 8)) % 10) + text[at + 1 :]
    words = text.split()
    if len(words) > 1:
        return " ".join(words[: len(words) - max(1, len(words) // 3)])
    return "unsure"


def _corrupt_value(value: Any, pick: float) -> Any:
    if isinstance(value, bool) or value is None:
        return not value if isinstance(value, bool) else "unsure"
    if isinstance(value, int | float):
        return value + 1 + int(pick * 3)
    if isinstance(value, list):
        return value[:-1] if value else ["unsure"]
    if isinstance(value, dict):
        return {**value, "unsure": True}
    return _corrupt_text(str(value), pick)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _corrupt(answer: _Answer, pick: float) -> _Answer:
    if answer.tool is not None:
        args = dict(answer.tool["arguments"])
        if not args:
            return _Answer(tool={"name": f"{answer.tool['name']}_v2", "arguments": args})
        key = sorted(args)[int(pick * len(args))]
        args[key] = _corrupt_value(args[key], pick)
        return _Answer(tool={"name": answer.tool["name"], "arguments": args})
    data = _json_object(answer.text)
    if data is not None:
        if pick < _PARSE_ERROR_SHARE or not data:
            return _Answer(text="Sure! Here are the fields you asked for, from the document above. (SIMULATED)")
        key = sorted(data)[int(pick * len(data))]
        return _Answer(text=json.dumps({**data, key: _corrupt_value(data[key], pick)}, ensure_ascii=False))
    return _Answer(text=_corrupt_text(answer.text, pick))


# ------------------------------------------------------------------------------------------------- responding
def _message(answer: _Answer, call_id: str) -> tuple[dict[str, Any], str]:
    if answer.tool is not None:
        call = {
            "id": call_id,
            "type": "function",
            "function": {"name": answer.tool["name"], "arguments": json.dumps(answer.tool["arguments"])},
        }
        return {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}, "tool_calls"
    return {"role": "assistant", "content": answer.text, "refusal": None}, "stop"


def _choice(
    body: Mapping[str, Any], model: str, item_id: str, answer: _Answer, difficulty: str | None, seed: int, index: int
) -> tuple[dict[str, Any], int]:
    draw_seed = 0 if body.get("temperature") == 0 else seed
    result = answer
    if _unit("draw", model, item_id, draw_seed) >= success_probability(model, item_id, difficulty):
        result = _corrupt(answer, _unit("pick", model, item_id, draw_seed))
    call_id = "call_" + hashlib.sha256(f"{item_id}\x1f{seed}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
    message, finish = _message(result, call_id)
    content = message.get("content") or json.dumps(message.get("tool_calls"))
    tokens = count_tokens(content)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit < tokens and message.get("content"):
        message["content"] = " ".join(message["content"].split()[: max(1, limit // 2)])
        tokens, finish = limit, "length"
    return {"index": index, "message": message, "finish_reason": finish, "logprobs": None}, tokens


def complete(body: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a chat completions request for a SIMULATED solver model (a full ``chat.completion`` object).

    Args:
        body: the request body: ``model`` (one of :data:`SOLVER_MODELS`), ``messages``, ``rft_simulation``,
            optional ``temperature``, ``seed``, ``n``, ``max_tokens`` / ``max_completion_tokens``.

    Raises:
        ApiError: 400 for a malformed request (one without ``rft_simulation`` included), 404 for a model that is
            not a solver model.
    """
    model = body.get("model")
    if not isinstance(model, str) or model not in SOLVER_MODELS:
        known = ", ".join(SOLVER_MODELS)
        raise ApiError(404, f"The model `{model}` is not a SIMULATED solver model ({known}).", code="model_not_found")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, Mapping) for m in messages):
        raise ApiError(400, "'messages' must be a non-empty array of message objects.", param="messages")
    if body.get("stream"):
        raise ApiError(400, "stream=true is not supported by this local server.", param="stream")
    n = body.get("n", 1) if body.get("n") is not None else 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
        raise ApiError(400, "'n' must be an integer between 1 and 128.", param="n")
    seed = body.get("seed") if body.get("seed") is not None else 0
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ApiError(400, "'seed' must be an integer.", param="seed")
    item_id, answer, difficulty = _read_simulation(body)
    prompt_tokens = sum(count_tokens(str(m.get("content") or "")) + 4 for m in messages)
    choices, completion_tokens = [], 0
    for index in range(n):
        choice, tokens = _choice(body, model, item_id, answer, difficulty, seed + index, index)
        choices.append(choice)
        completion_tokens += tokens
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return {
        "id": f"chatcmpl-simsolver-{digest}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "system_fingerprint": _FINGERPRINT,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
