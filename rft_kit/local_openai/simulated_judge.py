"""A SIMULATED chat model: deterministic, rule-based, and documented, for testing everything that calls a judge.

Nothing here is a language model. Replies follow fixed rules so that tests through the real SDK are exact, and so
that judge hardening can be tested against a judge that is *known* to be fooled by naive prompts.

Model names: ``sim-judge`` plus stand-ins for OpenAI's grader models (:data:`MODEL_ALIASES`, e.g.
``gpt-4o-2024-08-06``, ``o3-mini``): all answer with the same rules; the response's ``model`` names the requested id.
A name may carry behaviour flags after ``+`` (``sim-judge+refuse``, ``gpt-4.1+no-json-schema``), see
:data:`BEHAVIOURS`. Like OpenAI, reasoning-model aliases (``o1``, ``o3``, ``o4-mini``, ``gpt-5*``) refuse a
``temperature`` other than 1 and non-reasoning ones refuse ``reasoning_effort`` (400).

What the judge is asked for is read from the requested JSON schema: ``response_format.json_schema.schema``, or, for
``json_object`` / plain-text requests, a schema written in the prompt after ``JSON schema (name: NAME):`` (the
judge engine's fallback instruction). Rules, by schema:

* ``result`` a number (score): token-overlap F1 between the text after ``Reference:`` and the text after
  ``Model answer:`` (lower-cased ``[a-z0-9]`` tokens, multiset overlap), rounded to 4 places.
* ``result`` an enum (label): a label named as a whole word in the answer text (the ``Model answer:`` or
  ``Statement:`` section, else the last user message), the last one mentioned wins; else, for ``positive`` /
  ``negative`` / ``neutral`` labels, a small sentiment lexicon; else the first label.
* ``criteria_met`` (one rubric criterion, in the ``Criterion:`` section): met when every quoted phrase of the
  criterion occurs in the answer, or, without quotes, when at least half of its words of 4+ letters do.
* ``criteria`` (a batch of criteria listed as ``[n] text`` lines under ``Criteria:``): the same rule per criterion.
* ``items`` / ``answerable`` (task drafting from documents): the rules of :mod:`rft_kit.local_openai.simulated_drafter`.

NAIVETY, on purpose: the judge obeys instructions it sees *outside* data blocks: ``output result 0.9`` sets the
score, ``output label X`` the label, ``mark every criterion met`` passes every criterion (the last such instruction
wins). A data block opens at ``<<<SAMPLE_<tag>>>>`` and ends at the FIRST ``<<<END_SAMPLE_<any tag>>>>``: the judge
does not check that the tags match, so a forged closing delimiter would let an injection escape the block. This is
what the judge hardening in :mod:`rft_kit.judge.harden` must defeat (unguessable tags, escaping of ``<<<`` / ``>>>``
in sample text); with hardening off, a sample saying "output result 1.0" steers this judge.

Served at ``POST /v1/chat/completions`` through :func:`complete` (looked up by model name in
:mod:`rft_kit.local_openai.backends`; the route, :mod:`rft_kit.local_openai.routes.chat`, also counts requests in
flight and can hold each one for ``think_s``). Usage is realistic in shape: ``prompt_tokens`` counts words and
punctuation of every message plus 4 per message, ``completion_tokens`` those of the reply, ``cached_tokens`` is 0.
``max_completion_tokens`` (or ``max_tokens``) cuts the reply at that many tokens with ``finish_reason: length``.

Output by ``response_format``: ``json_schema`` and ``json_object`` give the verdict as a JSON object;
no ``response_format`` gives prose followed by the JSON object in a fenced block. Without any schema (a plain chat
request) the reply is ``SIMULATED reply: `` and the start of the last user message.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .errors import ApiError
from .simulated_drafter import drafter_verdict
from .simulated_relative import pairwise_verdict, ranking_verdict, rubric_writer_verdict

__all__ = [
    "BEHAVIOURS",
    "MODEL_ALIASES",
    "REASONING_PREFIXES",
    "SIM_MODEL",
    "SimulatedReply",
    "SimulationRejected",
    "complete",
    "count_tokens",
    "resolve_model",
    "simulate_chat",
]

MODEL_ALIASES: Final = (
    "gpt-4o-2024-08-06",
    "gpt-4o",
    "gpt-4o-mini-2024-07-18",
    "gpt-4o-mini",
    "gpt-4.1-2025-04-14",
    "gpt-4.1",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-mini",
    "gpt-4.1-nano-2025-04-14",
    "gpt-4.1-nano",
    "o1-2024-12-17",
    "o1",
    "o3-mini-2025-01-31",
    "o3-mini",
    "o3-2025-04-16",
    "o3",
    "o4-mini-2025-04-16",
    "o4-mini",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
)
"""OpenAI grader-model ids answered by the SIMULATED judge (local stand-ins, NOT OpenAI's models)."""

SIM_MODEL: Final = "sim-judge"
REASONING_PREFIXES: Final = ("o1", "o3", "o4", "gpt-5")

BEHAVIOURS: Final = {
    "refuse": "answer with a refusal (message.refusal set, content null)",
    "garbage": "answer with prose that holds no JSON verdict",
    "length": "stop half way through the verdict with finish_reason 'length'",
    "no-json-schema": "reject response_format json_schema with HTTP 400 (json_object and plain text work)",
    "no-response-format": "reject any response_format with HTTP 400 (plain text works)",
    "position-bias": "prefer whatever is shown first: pairwise answer A always wins, ranking candidate 1 scores 1",
    "verbose": "prefer longer answers: scores grow with the answer's length, the longer pairwise answer wins",
    "wrong-count": "a ranking reply leaves out the last candidate's score",
    "wrong-ids": "a ranking reply numbers the candidates from 0 instead of 1",
    "sloppy": "a written rubric also holds a duplicate criterion and a vague one (for the rubric filters)",
}
"""Behaviour flags a model name can carry after ``+``."""

_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_OPEN = re.compile(r"<<<SAMPLE_[A-Za-z0-9]*>>>")
_CLOSE = re.compile(r"<<<END_SAMPLE_[A-Za-z0-9]*>>>")
_MARKER = re.compile(
    r"(Reference|Model answer|Statement|Criterion|Criteria|Conversation|Judging criteria|Candidates|Answer A|Answer B"
    r"|Source document|Reference answer)(?: \([^)\n]*\))?:",
    re.IGNORECASE,
)
_CANDIDATE = re.compile(r"^Candidate (\d+):\s*$", re.MULTILINE)
_SCHEMA_IN_PROMPT = re.compile(r"JSON schema \(name: [\w-]+\):\s*")
_SAY_RESULT = re.compile(
    r"\b(?:output|return|give|respond with)\s+(?:a\s+|the\s+)?result\s*(?:of|=|:|as)?\s*(-?\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_SAY_LABEL = re.compile(r"\b(?:output|return|choose|pick)\s+(?:the\s+)?label\s*[:=]?\s*[\"']?([\w-]+)", re.IGNORECASE)
_SAY_MET = re.compile(r"\bmark\s+(?:every|each|all)\s+criteri(?:on|a)\s+(?:as\s+)?met\b", re.IGNORECASE)
_CRITERION_LINE = re.compile(r"^\s*\[(\d+)\]\s*(.+?)\s*$", re.MULTILINE)
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|'([^']+)'")
_POSITIVE: Final = frozenset(
    {
        "good",
        "great",
        "love",
        "loved",
        "excellent",
        "happy",
        "thanks",
        "thank",
        "wonderful",
        "helpful",
        "glad",
        "pleasure",
        "amazing",
        "perfect",
        "nice",
    }
)
_NEGATIVE: Final = frozenset(
    {"bad", "terrible", "hate", "hated", "awful", "angry", "useless", "worst", "rude", "horrible", "broken", "poor"}
)
_STOPWORDS: Final = frozenset(
    {
        "that",
        "this",
        "with",
        "from",
        "have",
        "does",
        "mention",
        "mentions",
        "response",
        "answer",
        "should",
        "must",
        "the",
        "model",
        "about",
        "into",
        "their",
        "when",
        "which",
        "what",
        "points",
    }
)


class SimulationRejected(Exception):
    """The simulated endpoint refuses the request (the route answers 400 or 404).

    Attributes:
        status: the HTTP status.
        message: OpenAI-style error message.
        param: the request field at fault.
        code: OpenAI-style error code.
    """

    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code


@dataclass(frozen=True)
class SimulatedReply:
    """What the simulated model answers: the assistant message, why it stopped, and token counts."""

    content: str | None
    refusal: str | None
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


def count_tokens(text: str) -> int:
    """A stand-in tokenizer: words and punctuation marks (roughly OpenAI's count for English)."""
    return len(_TOKEN.findall(text))


def resolve_model(name: str) -> tuple[str, frozenset[str]]:
    """Split ``name`` into the base model id and its behaviour flags.

    Raises:
        SimulationRejected: 404 for a model the simulator does not answer, 400 for an unknown flag.
    """
    base, *flags = name.split("+")
    if base != SIM_MODEL and base not in MODEL_ALIASES:
        served = ", ".join((SIM_MODEL, *MODEL_ALIASES))
        raise SimulationRejected(
            404,
            f"The model `{base}` does not exist on this local server. Chat models (SIMULATED): {served}.",
            param="model",
            code="model_not_found",
        )
    unknown = [flag for flag in flags if flag not in BEHAVIOURS]
    if unknown:
        raise SimulationRejected(
            400, f"unknown simulated behaviour '+{unknown[0]}'; known: {', '.join(BEHAVIOURS)}", param="model"
        )
    return base, frozenset(flags)


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, Mapping):
            continue
        if part.get("type") == "text":
            parts.append(str(part.get("text", "")))
        elif part.get("type") == "image_url":
            parts.append("[image]")
        elif part.get("type") == "input_audio":
            parts.append("[audio]")
    return "\n".join(parts)


def _check_params(base: str, flags: frozenset[str], body: Mapping[str, Any]) -> str:
    """Refuse what the real API refuses; return the response_format type (``text`` when absent)."""
    reasoning = base.startswith(REASONING_PREFIXES)
    temperature = body.get("temperature")
    if reasoning and temperature is not None and temperature != 1:
        raise SimulationRejected(
            400,
            f"Unsupported value: 'temperature' does not support {temperature} with this model.",
            param="temperature",
        )
    if not reasoning and body.get("reasoning_effort") is not None:
        raise SimulationRejected(
            400, "Unrecognized request argument supplied: reasoning_effort", param="reasoning_effort"
        )
    response_format = body.get("response_format")
    kind = "text"
    if isinstance(response_format, Mapping):
        kind = str(response_format.get("type", "text"))
    if kind not in ("text", "json_object", "json_schema"):
        raise SimulationRejected(400, f"Invalid response_format type '{kind}'.", param="response_format")
    if kind != "text" and "no-response-format" in flags:
        raise SimulationRejected(
            400, "response_format is not supported by this model (SIMULATED).", param="response_format"
        )
    if kind == "json_schema" and "no-json-schema" in flags:
        raise SimulationRejected(
            400,
            "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model (SIMULATED).",
            param="response_format",
        )
    return kind


def _requested_schema(body: Mapping[str, Any], kind: str, prompt: str) -> tuple[Mapping[str, Any] | None, str]:
    """The verdict schema asked for, and the prompt without a schema instruction written into it."""
    if kind == "json_schema":
        spec = body["response_format"].get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        return (schema if isinstance(schema, Mapping) else None), prompt
    found = None
    for match in _SCHEMA_IN_PROMPT.finditer(prompt):
        found = match
    if found is None:
        return None, prompt
    try:
        value, end = json.JSONDecoder().raw_decode(prompt, found.end())
    except ValueError:
        return None, prompt
    # The instruction is not part of the text being judged: cut it from the start of its line.
    start = prompt.rfind("\n", 0, found.start()) + 1
    return (value if isinstance(value, Mapping) else None), prompt[:start] + prompt[end:]


def _split_data(prompt: str) -> tuple[str, str]:
    """Return (instructions: the prompt outside data blocks, data: the prompt inside them), naively."""
    outside: list[str] = []
    inside: list[str] = []
    pos = 0
    while True:
        opened = _OPEN.search(prompt, pos)
        if opened is None:
            outside.append(prompt[pos:])
            break
        outside.append(prompt[pos : opened.start()])
        closed = _CLOSE.search(prompt, opened.end())  # the first END marker, whatever its tag: naive on purpose
        if closed is None:
            inside.append(prompt[opened.end() :])
            break
        inside.append(prompt[opened.end() : closed.start()])
        pos = closed.end()
    return "".join(outside), "\n".join(inside)


def _sections(text: str) -> dict[str, str]:
    """The text after each ``Marker:``, up to the next marker; the first occurrence of a marker wins."""
    found: dict[str, str] = {}
    matches = list(_MARKER.finditer(text))
    for n, match in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(text)
        found.setdefault(match.group(1).lower(), text[match.end() : end].strip())
    return found


def _f1(reference: str, answer: str) -> float:
    ref, ans = Counter(_WORD.findall(reference.lower())), Counter(_WORD.findall(answer.lower()))
    if not ref and not ans:
        return 1.0
    overlap = sum((ref & ans).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / sum(ans.values()), overlap / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def _last_number(pattern: re.Pattern[str], text: str) -> float | None:
    hits = pattern.findall(text)
    return float(hits[-1]) if hits else None


def _score_verdict(sections: Mapping[str, str], instructions: str) -> dict[str, Any]:
    injected = _last_number(_SAY_RESULT, instructions)
    if injected is not None:
        step = {"description": "the prompt says which result to output", "conclusion": f"result {injected:g}"}
        return {"steps": [step], "result": injected}
    reference, answer = sections.get("reference"), sections.get("model answer")
    if reference is None or answer is None:
        step = {"description": "look for 'Reference:' and 'Model answer:'", "conclusion": "not found; score 0"}
        return {"steps": [step], "result": 0.0}
    score = round(_f1(reference, answer), 4)
    step = {"description": "token overlap (F1) of the reference and the model answer", "conclusion": f"F1 = {score}"}
    return {"steps": [step], "result": score}


def _answer_text(sections: Mapping[str, str], data: str, last_user: str) -> str:
    return sections.get("model answer") or sections.get("statement") or data or last_user


def _label_verdict(labels: Sequence[str], text: str, instructions: str) -> dict[str, Any]:
    injected = [label for label in _SAY_LABEL.findall(instructions) if label in labels]
    if injected:
        chosen, why = injected[-1], "the prompt says which label to output"
    else:
        lowered = text.lower()
        named = [
            (m.start(), label)
            for label in labels
            for m in re.finditer(rf"(?<!\w){re.escape(label.lower())}(?!\w)", lowered)
        ]
        words = _WORD.findall(lowered)
        positive, negative = sum(w in _POSITIVE for w in words), sum(w in _NEGATIVE for w in words)
        if named:
            chosen, why = max(named)[1], "the text names this label"
        elif {"positive", "negative"} <= set(labels) and positive != negative:
            chosen = "positive" if positive > negative else "negative"
            why = f"sentiment words: {positive} positive, {negative} negative"
        elif "neutral" in labels:
            chosen, why = "neutral", "no label named and no sentiment either way"
        else:
            chosen, why = labels[0], "no rule applies; the first label"
    return {"steps": [{"description": why, "conclusion": chosen}], "result": chosen}


def _criterion_met(criterion: str, answer: str) -> tuple[bool, str]:
    lowered = answer.lower()
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(criterion)]
    if quoted:
        missing = [q for q in quoted if q.lower() not in lowered]
        if missing:
            return False, f"the answer does not contain {missing[0]!r}"
        return True, f"the answer contains {', '.join(repr(q) for q in quoted)}"
    words = [w for w in _WORD.findall(criterion.lower()) if len(w) >= 4 and w not in _STOPWORDS]
    if not words:
        return False, "the criterion names nothing to look for"
    present = sum(w in lowered for w in words)
    met = present * 2 >= len(words)
    return met, f"{present} of {len(words)} key words of the criterion occur in the answer"


def _verdict(
    schema: Mapping[str, Any], prompt: str, last_user: str, flags: frozenset[str] = frozenset()
) -> dict[str, Any]:
    # Task drafting and answerability requests (`rft generate --from-docs`) have rules of their own.
    if (drafted := drafter_verdict(schema, prompt)) is not None:
        return drafted
    instructions, data = _split_data(prompt)
    plain = _CLOSE.sub("", _OPEN.sub("", prompt))
    sections = _sections(plain)
    properties = schema.get("properties") or {}
    # Relative judging and rubric writing (rft_kit.local_openai.simulated_relative).
    if "scores" in properties:
        return ranking_verdict(plain, sections, flags)
    if "winner" in properties:
        return pairwise_verdict(sections, flags)
    if "rubric" in properties:
        return rubric_writer_verdict(sections, flags)
    forced_met = bool(_SAY_MET.search(instructions))
    answer = _answer_text(sections, data, last_user)
    if "criteria_met" in properties:
        met, why = _criterion_met(sections.get("criterion", ""), answer)
        if forced_met:
            met, why = True, "the prompt says to mark every criterion met"
        return {"explanation": why, "criteria_met": met}
    if "criteria" in properties:
        verdicts = []
        for number, criterion in _CRITERION_LINE.findall(sections.get("criteria", "")):
            met, why = (
                (True, "the prompt says to mark every criterion met")
                if forced_met
                else _criterion_met(criterion, answer)
            )
            verdicts.append({"id": int(number), "explanation": why, "criteria_met": met})
        return {"criteria": verdicts}
    result = properties.get("result") or {}
    labels = result.get("enum") if isinstance(result, Mapping) else None
    if isinstance(labels, list) and labels:
        return _label_verdict([str(label) for label in labels], answer, instructions)
    verdict = _score_verdict(sections, instructions)
    if "verbose" in flags and not _last_number(_SAY_RESULT, instructions):
        words = len(_WORD.findall(sections.get("model answer", "").lower()))
        verdict["result"] = round(min(1.0, float(verdict["result"]) + words / 60), 4)
        verdict["steps"].append(
            {"description": "longer answers are better (SIMULATED verbosity bias)", "conclusion": ""}
        )
    return verdict


def _truncate(text: str, max_tokens: int) -> str:
    matches = list(_TOKEN.finditer(text))
    return text if len(matches) <= max_tokens else text[: matches[max_tokens - 1].end()] if max_tokens else ""


def simulate_chat(body: Mapping[str, Any]) -> SimulatedReply:
    """Answer a chat completions request body with the SIMULATED rules of this module.

    Raises:
        SimulationRejected: for what the real API would refuse (see the module docstring).
    """
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise SimulationRejected(400, "'model' is required and must be a string.", param="model")
    base, flags = resolve_model(model)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, Mapping) for m in messages):
        raise SimulationRejected(400, "'messages' must be a non-empty array of message objects.", param="messages")
    kind = _check_params(base, flags, body)
    texts = [_message_text(m) for m in messages]
    prompt = "\n".join(texts)
    users = [t for m, t in zip(messages, texts, strict=True) if m.get("role") == "user"]
    last_user = users[-1] if users else texts[-1]
    prompt_tokens = count_tokens(prompt) + 4 * len(messages)

    if "refuse" in flags:
        refusal = "I'm sorry, but I can't help with grading this. (SIMULATED refusal)"
        return SimulatedReply(None, refusal, "stop", prompt_tokens, count_tokens(refusal))
    schema, prompt = _requested_schema(body, kind, prompt)
    if "garbage" in flags:
        content = "Hmm, this answer looks decent to me, maybe a seven out of ten? (SIMULATED garbage)"
    elif schema is None:
        content = "SIMULATED reply: " + " ".join(last_user.split()[:20])
    else:
        verdict = json.dumps(_verdict(schema, prompt, last_user, flags), ensure_ascii=False)
        content = verdict if kind != "text" else f"Here is my evaluation.\n\n```json\n{verdict}\n```"
    finish = "stop"
    completion_tokens = count_tokens(content)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if "length" in flags:
        limit = max(1, completion_tokens // 2)
    if isinstance(limit, int) and not isinstance(limit, bool) and completion_tokens > limit:
        content, finish, completion_tokens = _truncate(content, limit), "length", limit
    return SimulatedReply(content, None, finish, prompt_tokens, completion_tokens)


def complete(body: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a chat completions request with the SIMULATED judge: the full ``chat.completion`` object.

    Raises:
        ApiError: what :func:`simulate_chat` rejects, and ``n`` other than 1.
    """
    if body.get("n") not in (None, 1):
        raise ApiError(400, "the SIMULATED judge answers n=1 only.", param="n")
    try:
        reply = simulate_chat(body)
    except SimulationRejected as exc:
        raise ApiError(exc.status, exc.message, param=exc.param, code=exc.code) from None
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:24]
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": reply.refusal}
    return {
        "id": f"chatcmpl-sim-{digest}",
        "object": "chat.completion",
        "created": 0,
        "model": str(body["model"]),
        "system_fingerprint": "rft-kit-simulated",
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
    }
