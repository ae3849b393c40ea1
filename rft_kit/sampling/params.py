"""What to sample and how: the model, its request parameters, and the client's concurrency and retry budget."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..http import DEFAULT_MAX_REPLY_BYTES

__all__ = ["DeveloperRole", "SamplingParams"]

DeveloperRole = Literal["keep", "system"]
"""What to do with ``developer`` messages: send them as is, or as ``system`` (for endpoints that reject the role)."""


@dataclass(frozen=True)
class SamplingParams:
    """Parameters of one sampling run.

    Attributes:
        model: the model id sent to the endpoint.
        n: samples per item (``sample_index`` 0 .. n-1).
        temperature: sampling temperature; ``None`` leaves it to the endpoint.
        max_tokens: completion token limit (sent as ``max_completion_tokens``); ``None`` for no limit.
        top_p: nucleus sampling; ``None`` leaves it to the endpoint.
        seed: base seed; sample ``k`` is requested with ``seed + k`` so each sample is reproducible where the
            endpoint honours seeds, and distinct samples differ. ``None`` sends no seed.
        developer_role: ``keep`` or ``system`` (see :data:`DeveloperRole`).
        response_format: sent with every request, overriding the item's own ``response_format``.
        extra_body: more request fields, passed through unchanged (``reasoning_effort``, ...).
        concurrency: requests in flight at most.
        max_retries: retries per sample after the first attempt, on 408/409/429/5xx and connection errors.
        timeout_s: the deadline of one attempt, all of it (connect, headers, body), not each read.
        max_reply_bytes: most bytes of one reply, counted after decompression (default 16 MiB); a larger reply is
            recorded as a ``response`` error, not retried.
    """

    model: str
    n: int = 1
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    seed: int | None = 0
    developer_role: DeveloperRole = "keep"
    response_format: Mapping[str, Any] | None = None
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    concurrency: int = 8
    max_retries: int = 4
    timeout_s: float = 120.0
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("model must be a non-empty model id")
        if self.n < 1:
            raise ValueError(f"n (samples per item) must be >= 1, got {self.n}")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.max_reply_bytes < 1024:
            raise ValueError(f"max_reply_bytes must be >= 1024, got {self.max_reply_bytes}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.developer_role not in ("keep", "system"):
            raise ValueError(f"developer_role must be 'keep' or 'system', got {self.developer_role!r}")

    def request_fields(self) -> dict[str, Any]:
        """The fields that change what the model answers (recorded in run.json and hashed for resume checks)."""
        data = asdict(self)
        for client_only in ("concurrency", "max_retries", "timeout_s", "max_reply_bytes"):
            data.pop(client_only)
        data["response_format"] = None if self.response_format is None else dict(self.response_format)
        data["extra_body"] = dict(self.extra_body)
        return data
