"""SIMULATED agents: deterministic tool-calling "models" that play an agentic row's oracle plan, with or without
mistakes, through the real chat-completions tool-calling protocol.

Nothing here is a language model. The agents read the row's reference fields, which ``rft rollout`` sends in the
request body as ``rft_reference`` for model names starting with ``sim-agent-`` only (a real model never sees them),
and the conversation so far. The reply is a pure function of (model name, ``rft_reference``, ``seed``, the number of
assistant turns already in ``messages``): ``rft rollout`` sends ``seed = base seed + sample_index``, so every episode
is reproducible and distinct episodes of one item differ.

**The plan** (``rft_reference.oracle_plan``): a list of steps, each ``{"name": tool, "arguments": {...}}`` (one call
in one turn), ``{"parallel": [call, ...]}`` or a JSON list of calls (several calls in one turn: parallel tool calls),
and ``{"final_answer": "..."}`` (the final message; the episode ends).

**Models.**

* ``sim-agent-oracle`` plays the plan exactly: one turn per step, then the final answer.
* ``sim-agent-base`` and ``sim-agent-strong`` play it with deterministic mistakes at the rates of
  :data:`AGENT_MODELS` (per turn: wrong tool 8% / 3%, bad arguments 8% / 3%, stopping early 6% / 2%; per episode:
  a policy violation 20% / 5%), drawn per turn from a hash of (model, item id, seed, turn):

  - *wrong tool*: the turn calls another tool of the request's ``tools`` with the planned arguments (the planned
    step is retried next turn);
  - *bad arguments*: the planned tool with broken arguments, cycling through non-JSON text, a missing required
    argument and a value of the wrong type (the step is retried next turn);
  - *stopping early*: the final answer now, claiming success, with the rest of the plan not done;
  - *policy violation* (drawn once per episode, at a plan position drawn from the same hash): the call (or list of
    calls) in ``rft_reference.policy_violation`` when the row has one (the tempting forbidden action, e.g.
    refunding a final-sale item; sent through the row's ``call_tool`` dispatcher when that tool is only reachable
    so), else the previous planned call made a second time (a duplicated refund, booking or write).

Behaviour flags after ``+`` (for tests of the rollout engine): ``+never-stop`` keeps calling the plan's last tool
after the plan (the episode can only end at ``max_turns`` or the token budget); ``+bad-calls`` opens with one turn of
three parallel bad calls (an unknown tool, arguments that are not JSON, arguments that fail the schema) before the
plan.

Every reply names the requested model and carries ``system_fingerprint: rft-kit-simulated-agent`` (SIMULATED).
Usage counts words and punctuation like the other simulated models.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from .errors import ApiError
from .simulated_judge import count_tokens

__all__ = ["AGENT_FLAGS", "AGENT_MODELS", "MistakeRates", "agent_reply", "is_agent_model"]

FINGERPRINT: Final = "rft-kit-simulated-agent"
DISPATCHER: Final = "call_tool"
"""The tool through which a catalogue's tools are called (``{"name": tool, "arguments": {...}}``)."""


@dataclass(frozen=True)
class MistakeRates:
    """Per-turn probabilities of each mistake (the rest of the probability plays the plan), and the per-episode
    probability of one policy violation."""

    wrong_tool: float = 0.0
    bad_arguments: float = 0.0
    stop_early: float = 0.0
    policy_violation: float = 0.0


AGENT_MODELS: Final[Mapping[str, MistakeRates]] = {
    "sim-agent-oracle": MistakeRates(),
    "sim-agent-strong": MistakeRates(wrong_tool=0.03, bad_arguments=0.03, stop_early=0.02, policy_violation=0.05),
    "sim-agent-base": MistakeRates(wrong_tool=0.08, bad_arguments=0.08, stop_early=0.06, policy_violation=0.20),
}
"""SIMULATED agent model names and their mistake rates."""

AGENT_FLAGS: Final = {
    "never-stop": "after the plan, keep calling its last tool: the episode ends only at max_turns or the budget",
    "bad-calls": "open with three parallel bad calls: unknown tool, non-JSON arguments, arguments failing the schema",
}


def _split(model: object) -> tuple[str, frozenset[str]] | None:
    if not isinstance(model, str):
        return None
    base, _, flags = model.partition("+")
    if base not in AGENT_MODELS:
        return None
    return base, frozenset(f for f in flags.split("+") if f)


def is_agent_model(model: object) -> bool:
    """Whether ``model`` names a SIMULATED agent (with or without behaviour flags)."""
    return _split(model) is not None


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from a hash of ``parts`` (stable across processes)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


Call = dict[str, Any]


@dataclass(frozen=True)
class _Plan:
    steps: list[list[Call]]
    final_answer: str
    violation: list[Call]


def _call(raw: Any) -> Call:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        raise ApiError(400, f"rft_reference.oracle_plan: a call must be {{'name': ..., 'arguments': ...}}, got {raw!r}")
    arguments = raw.get("arguments", {})
    return {"name": raw["name"], "arguments": arguments if isinstance(arguments, Mapping | str) else {}}


def _plan(reference: Mapping[str, Any]) -> _Plan:
    raw = reference.get("oracle_plan")
    if not isinstance(raw, list):
        raise ApiError(
            400,
            "SIMULATED agents need the row's oracle plan: send rft_reference.oracle_plan (rft rollout does this for "
            "sim-agent-* models)",
            param="rft_reference",
        )
    steps: list[list[Call]] = []
    final = ""
    for step in raw:
        if isinstance(step, Mapping) and "final_answer" in step:
            final = str(step["final_answer"])
            break
        if isinstance(step, list):
            group = [_call(c) for c in step]
        elif isinstance(step, Mapping) and isinstance(step.get("parallel"), list):
            group = [_call(c) for c in step["parallel"]]
        else:
            group = [_call(step)]
        if group:  # an empty group is no turn at all (a turn of no calls would be an empty assistant message)
            steps.append(group)
    violation_raw = reference.get("policy_violation", reference.get("violation_plan"))
    if isinstance(violation_raw, Mapping):
        violation_raw = [violation_raw]
    violation = [_call(c) for c in violation_raw] if isinstance(violation_raw, list) else []
    return _Plan(steps, final, violation)


def _arguments_text(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False, sort_keys=False)


@dataclass
class _Replay:
    """Where an episode stands: the next plan step, and whether its policy violation has happened."""

    position: int = 0
    violated: bool = False


def _tools(body: Mapping[str, Any]) -> list[Any]:
    tools = body.get("tools")
    return tools if isinstance(tools, list) else []


def _tool_names(body: Mapping[str, Any]) -> list[str]:
    names = []
    for entry in _tools(body):
        function = entry.get("function") if isinstance(entry, Mapping) else None
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def _broken(call: Call, tools: Mapping[str, Any], variant: int) -> Call:
    """``call`` with arguments that fail: not JSON, a required argument missing, or a wrong type."""
    name = call["name"]
    arguments = call["arguments"] if isinstance(call["arguments"], Mapping) else {}
    if variant == 0 or not arguments:
        return {"name": name, "arguments": "{" + _arguments_text(arguments)[1:-1] + ","}
    key = sorted(arguments)[0]
    if variant == 1:
        params = ((tools.get(name) or {}).get("parameters") or {}) if isinstance(tools.get(name), Mapping) else {}
        required = [k for k in params.get("required", []) if k in arguments]
        drop = required[0] if required else key
        return {"name": name, "arguments": {k: v for k, v in arguments.items() if k != drop}}
    value = arguments[key]
    wrong: Any = 12345 if isinstance(value, str) else "not-a-" + type(value).__name__
    return {"name": name, "arguments": {**arguments, key: wrong}}


class _Agent:
    def __init__(
        self, model: str, flags: frozenset[str], body: Mapping[str, Any], reference: Mapping[str, Any]
    ) -> None:
        self.model = model
        self.flags = flags
        self.rates = AGENT_MODELS[model]
        self.plan = _plan(reference)
        self.key = (model, reference.get("id"), body.get("seed") if body.get("seed") is not None else 0)
        tools = {}
        for entry in _tools(body):
            function = entry.get("function") if isinstance(entry, Mapping) else None
            if isinstance(function, Mapping) and isinstance(function.get("name"), str):
                tools[function["name"]] = function
        self.tools: Mapping[str, Any] = tools
        self.tool_names = _tool_names(body)
        calls = len(self.plan.steps)
        self.violation_at: int | None = None
        if self.rates.policy_violation and _unit(*self.key, "violation") < self.rates.policy_violation:
            # a duplicated call needs a call before it; a violation plan can come at any point
            low = 0 if self.plan.violation else 1
            if calls >= low:
                self.violation_at = low + int(_unit(*self.key, "violation-at") * (calls - low + 1))

    def _mistake(self, turn: int) -> str:
        rates = self.rates
        u = _unit(*self.key, "turn", turn)
        for kind, rate in (
            ("wrong_tool", rates.wrong_tool),
            ("bad_arguments", rates.bad_arguments),
            ("stop_early", rates.stop_early),
        ):
            if u < rate:
                return kind
            u -= rate
        return "follow"

    def act(self, turn: int, state: _Replay) -> tuple[list[Call] | None, str | None]:
        """The calls of ``turn`` (advancing ``state``) or the final answer."""
        offset = 1 if "bad-calls" in self.flags else 0
        if turn < offset:
            return self._bad_calls(), None
        steps = self.plan.steps
        if self.violation_at is not None and not state.violated and state.position == self.violation_at:
            state.violated = True
            if self.plan.violation:
                return [self._offered(c) for c in self.plan.violation], None
            return list(steps[state.position - 1]), None
        if state.position >= len(steps):
            if "never-stop" in self.flags and steps:
                return list(steps[-1]), None
            return None, self.plan.final_answer
        kind = self._mistake(turn)
        planned = steps[state.position]
        if kind == "stop_early":
            return None, self.plan.final_answer
        if kind == "wrong_tool":
            others = [n for n in self.tool_names if n not in {c["name"] for c in planned}]
            if others:
                pick = others[int(_unit(*self.key, "wrong", turn) * len(others))]
                return [{"name": pick, "arguments": planned[0]["arguments"]}], None
        if kind == "bad_arguments":
            variant = int(_unit(*self.key, "variant", turn) * 3)
            return [_broken(planned[0], self.tools, variant), *planned[1:]], None
        state.position += 1
        return list(planned), None

    def _offered(self, call: Call) -> Call:
        """``call`` through the row's ``call_tool`` dispatcher when its tool is only reachable that way (a catalogue
        of tools discovered with ``search_tools``)."""
        if call["name"] in self.tools or DISPATCHER not in self.tools:
            return call
        return {"name": DISPATCHER, "arguments": {"name": call["name"], "arguments": call["arguments"]}}

    def _bad_calls(self) -> list[Call]:
        first = self.plan.steps[0][0] if self.plan.steps else {"name": "", "arguments": {}}
        return [
            {"name": "no_such_tool_simulated", "arguments": {}},
            {"name": first["name"], "arguments": "{not json"},
            {"name": first["name"], "arguments": {"unexpected_argument_simulated": [1, 2, 3]}},
        ]

    def reply(self, turn: int) -> tuple[list[Call] | None, str | None]:
        state = _Replay()
        for earlier in range(turn):
            calls, _ = self.act(earlier, state)
            if calls is None:  # the conversation went on after our final answer: answer it again
                return None, self.plan.final_answer
        return self.act(turn, state)


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    if isinstance(content, list):
        text = " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    calls = message.get("tool_calls")
    for call in calls if isinstance(calls, list) else []:
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping):
            text += f" {function.get('name', '')} {function.get('arguments', '')}"
    return text


@lru_cache(maxsize=1 << 16)
def _tokens(text: str) -> int:
    # An episode resends its whole conversation every turn: each message is counted once, not once per turn.
    return count_tokens(text)


def _turn(messages: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for m in messages if m.get("role") == "assistant")


def agent_reply(body: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a chat completions request for a SIMULATED agent (a full ``chat.completion`` object).

    Raises:
        ApiError: 400 for a malformed request or one without ``rft_reference.oracle_plan``; 404 for a model that
            is not an agent; 400 for an unknown behaviour flag.
    """
    split = _split(body.get("model"))
    if split is None:
        raise ApiError(404, f"The model `{body.get('model')}` is not a SIMULATED agent.", code="model_not_found")
    base, flags = split
    unknown = sorted(flags - set(AGENT_FLAGS))
    if unknown:
        raise ApiError(400, f"unknown behaviour flag {unknown[0]!r} (known: {', '.join(AGENT_FLAGS)})", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, Mapping) for m in messages):
        raise ApiError(400, "'messages' must be a non-empty array of message objects.", param="messages")
    if body.get("n") not in (None, 1):
        raise ApiError(400, "SIMULATED agents answer n=1 only.", param="n")
    reference = body.get("rft_reference")
    if not isinstance(reference, Mapping):
        raise ApiError(
            400,
            "SIMULATED agents need the row's reference fields as 'rft_reference' in the request body "
            "(rft rollout sends them for sim-agent-* models)",
            param="rft_reference",
        )
    agent = _Agent(base, flags, body, reference)
    turn = _turn(messages)
    calls, answer = agent.reply(turn)
    message: dict[str, Any] = {"role": "assistant", "content": answer, "refusal": None}
    if calls is not None:
        message["tool_calls"] = [
            {
                "id": "call_" + hashlib.sha256(repr((agent.key, turn, k)).encode()).hexdigest()[:20],
                "type": "function",
                "function": {"name": call["name"], "arguments": _arguments_text(call["arguments"])},
            }
            for k, call in enumerate(calls)
        ]
    prompt_tokens = sum(_tokens(_message_text(m)) + 4 for m in messages)
    completion_tokens = max(1, count_tokens(_message_text(message)))
    digest = hashlib.sha256(repr((agent.key, turn)).encode()).hexdigest()[:24]
    return {
        "id": f"chatcmpl-simagent-{digest}",
        "object": "chat.completion",
        "created": 0,
        "model": str(body["model"]),
        "system_fingerprint": FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if calls is not None else "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
