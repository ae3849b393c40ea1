"""What graders hand the judge engine (:class:`ChatRequest`) and what they get back (:class:`JudgeReply`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .ledger import Usage
from .options import StructuredOutput

__all__ = ["ChatRequest", "JudgeReply"]


@dataclass(frozen=True, eq=False)
class ChatRequest:
    """One judge call, before any structured-output fallback.

    Attributes:
        model: the judge model id.
        messages: chat messages, already rendered.
        schema_name / schema: the verdict the reply must hold.
        params: sampling arguments in chat completions spelling (``max_completion_tokens``, ...).
        structured_output: how to ask for the schema (see :class:`~rft_kit.judge.options.JudgeOptions`).
    """

    model: str
    messages: Sequence[Mapping[str, Any]]
    schema_name: str
    schema: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)
    structured_output: StructuredOutput = "auto"

    @cached_property
    def fingerprint(self) -> str:
        """A hash of exactly what is asked: model, messages, response format (with its schema) and parameters."""
        canonical = _canonical(
            {
                "model": self.model,
                "messages": self.messages,
                "structured_output": self.structured_output,
                "schema": [self.schema_name, _schema_digest(self.schema)],
                "params": self.params,
            }
        )
        # surrogatepass: a prompt may quote a model's unpaired surrogate; it must hash, not raise
        return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# Graders reuse one schema dict for every call; hashing it once per dict saves most of a fingerprint's cost. The
# entry keeps the dict alive, so its id() cannot be reused for another dict while cached.
_SCHEMA_DIGESTS: dict[int, tuple[Mapping[str, Any], str]] = {}


def _schema_digest(schema: Mapping[str, Any]) -> str:
    entry = _SCHEMA_DIGESTS.get(id(schema))
    if entry is not None and entry[0] is schema:
        return entry[1]
    digest = hashlib.sha256(_canonical(schema).encode("utf-8", "surrogatepass")).hexdigest()
    if len(_SCHEMA_DIGESTS) > 1024:
        _SCHEMA_DIGESTS.clear()
    _SCHEMA_DIGESTS[id(schema)] = (schema, digest)
    return digest


@dataclass(frozen=True)
class JudgeReply:
    """A judge's answer.

    Attributes:
        content: the assistant text (``None`` with a refusal).
        refusal: the refusal text, when the model refused.
        finish_reason: ``stop``, ``length``, ...
        usage: tokens of the call that produced the reply (also for a reply served from the cache).
        model: the model that answered (the response's ``model``: ``sampled_model_name``).
        mode: how the schema was asked for in the end (``json_schema``, ``json_object`` or ``none``).
        cached: served from the on-disk cache, without a call.
    """

    content: str | None
    refusal: str | None
    finish_reason: str
    usage: Usage
    model: str
    mode: str
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The cacheable form (``cached`` is not stored)."""
        return {
            "content": self.content,
            "refusal": self.refusal,
            "finish_reason": self.finish_reason,
            "usage": self.usage.to_dict(),
            "model": self.model,
            "mode": self.mode,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, cached: bool = False) -> JudgeReply:
        """Read back :meth:`to_dict`."""
        return cls(
            content=data.get("content"),
            refusal=data.get("refusal"),
            finish_reason=str(data.get("finish_reason") or "stop"),
            usage=Usage.from_dict(data.get("usage")),
            model=str(data.get("model") or ""),
            mode=str(data.get("mode") or "json_schema"),
            cached=cached,
        )
