"""Request bodies of the reward server, checked field by field (a 400 names the field at fault).

``POST /score`` takes Azure's endpoint-grader body ``{"item": {...}, "sample": {...} | "text"}``; ``POST
/score_batch`` takes ``{"items": [...], "samples": [...]}`` (same length) and answers ``{"results": [...]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["BadRequest", "parse_batch", "parse_single"]


class BadRequest(Exception):
    """A 4xx answer: ``status``, a message for the client, and a short ``kind`` for the metrics."""

    def __init__(self, status: int, message: str, kind: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


def _item(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadRequest(400, f"{where} must be an object, got {type(value).__name__}", "bad_request")
    return value


def _sample(value: Any, where: str) -> Any:
    if isinstance(value, str | Mapping):
        return value
    got = "nothing" if value is None else type(value).__name__
    raise BadRequest(400, f"{where} must be a string or a sample object, got {got}", "bad_request")


def parse_single(body: Any) -> tuple[list[Any], list[Mapping[str, Any]]]:
    """``(samples, items)`` of one pair."""
    if not isinstance(body, Mapping):
        raise BadRequest(400, "the body must be a JSON object {item, sample}", "bad_request")
    return [_sample(body.get("sample"), "sample")], [_item(body.get("item"), "item")]


def parse_batch(body: Any, max_pairs: int) -> tuple[list[Any], list[Mapping[str, Any]]]:
    """``(samples, items)`` of a batch of at most ``max_pairs``."""
    if not isinstance(body, Mapping):
        raise BadRequest(400, "the body must be a JSON object {items, samples}", "bad_request")
    samples, items = body.get("samples"), body.get("items")
    if not isinstance(samples, list) or not isinstance(items, list):
        raise BadRequest(400, "samples and items must both be lists", "bad_request")
    if len(samples) != len(items):
        raise BadRequest(400, f"samples ({len(samples)}) and items ({len(items)}) differ in length", "bad_request")
    if len(samples) > max_pairs:
        raise BadRequest(413, f"{len(samples)} pairs in one batch; the limit is {max_pairs}", "too_large")
    return (
        [_sample(s, f"samples[{i}]") for i, s in enumerate(samples)],
        [_item(it, f"items[{i}]") for i, it in enumerate(items)],
    )
