"""HTTP client pieces shared by the judge engine and the sampler."""

from .capped import DEFAULT_MAX_REPLY_BYTES, CappedTransport, ReplyTooLarge, capped_http_client, too_large_cause

__all__ = ["DEFAULT_MAX_REPLY_BYTES", "CappedTransport", "ReplyTooLarge", "capped_http_client", "too_large_cause"]
