"""An httpx transport that caps the size of every reply, counted after decompression.

A reply from an endpoint is read whole into memory (the SDK parses it as one JSON document), so an endpoint that
answers with hundreds of megabytes, or with a small gzip body that inflates to them, would take the run's memory
with it. :class:`CappedTransport` reads the body itself, as it arrives, and decodes ``gzip``/``deflate`` with
:func:`zlib.decompressobj` asking for at most the bytes still allowed: a reply over ``max_bytes`` (raw or
decoded) stops being read there and fails with :class:`ReplyTooLarge`, which the SDK reports as a connection error
whose cause callers find with :func:`too_large_cause`. It asks only for the encodings it decodes
(``Accept-Encoding: gzip, deflate``) and refuses any other.

The time an attempt may take as a whole is not this module's job (httpx's timeouts are per read): callers wrap each
attempt in :func:`asyncio.timeout`.
"""

from __future__ import annotations

import zlib
from typing import Any, Final

import httpx2 as httpx

from .causes import find_cause

__all__ = ["DEFAULT_MAX_REPLY_BYTES", "CappedTransport", "ReplyTooLarge", "capped_http_client", "too_large_cause"]

DEFAULT_MAX_REPLY_BYTES: Final = 16 * 1024 * 1024
"""Default cap of one reply, decoded: far above any chat completion (a 128k-token reply is ~0.5 MB of JSON)."""

_ENCODINGS: Final = "gzip, deflate"


class ReplyTooLarge(Exception):
    """A reply went over the byte cap (raw or after decompression), or used an encoding we do not decode."""


def too_large_cause(exc: BaseException) -> ReplyTooLarge | None:
    """The :class:`ReplyTooLarge` behind an SDK error, if that is what it was."""
    return find_cause(exc, ReplyTooLarge)


class _Decoder:
    """Incremental decoder of one content-encoding, never producing more than it is asked for."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding in ("", "identity"):
            self._zlib = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
            self._raw_fallback = True
        else:
            raise ReplyTooLarge(f"the reply uses content-encoding {encoding!r}; only {_ENCODINGS} are accepted")
        self._started = False

    def decode(self, chunk: bytes, room: int) -> bytes:
        """Up to ``room + 1`` decoded bytes of ``chunk`` (one more than allowed tells the caller to stop)."""
        if self._zlib is None:
            return chunk
        try:
            data = self._zlib.decompress(chunk, room + 1)
        except zlib.error:
            if self.encoding == "deflate" and not self._started:  # some servers send raw deflate, no zlib header
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                self._started = True
                return self.decode(chunk, room)
            raise ReplyTooLarge(f"the reply's {self.encoding} body is corrupt") from None
        self._started = True
        return data


class CappedTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncHTTPTransport`` whose replies are read whole, decoded, and capped at ``max_bytes``.

    Args:
        max_bytes: most bytes of one reply body (raw, and again after decompression).
        inner: the transport that does the I/O (it must not decode the body itself); default an
            :class:`httpx.AsyncHTTPTransport` built with ``transport_kwargs`` (``limits``, ...).
    """

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        *,
        inner: httpx.AsyncBaseTransport | None = None,
        **transport_kwargs: Any,
    ) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1, got {max_bytes}")
        self.max_bytes = max_bytes
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport(**transport_kwargs)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["Accept-Encoding"] = _ENCODINGS
        response = await self._inner.handle_async_request(request)
        try:
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            decoder = _Decoder(encoding)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise ReplyTooLarge(f"the reply announces {int(declared)} bytes, over the {self.max_bytes}-byte cap")
            body = bytearray()
            raw = 0
            assert isinstance(response.stream, httpx.AsyncByteStream)
            async for chunk in response.stream:
                raw += len(chunk)
                data = decoder.decode(chunk, self.max_bytes - len(body))
                if raw > self.max_bytes or len(body) + len(data) > self.max_bytes:
                    raise ReplyTooLarge(
                        f"the reply is over the {self.max_bytes}-byte cap"
                        + (f" once {encoding}-decoded" if encoding not in ("", "identity") else "")
                        + "; stopped reading it"
                    )
                body += data
        finally:
            await response.aclose()
        headers = [
            (k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-encoding", "content-length")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=bytes(body),
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def capped_http_client(
    max_bytes: int, *, max_connections: int | None = None, aiohttp: bool = False
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for the OpenAI SDK (``http_client=``) whose replies are capped at ``max_bytes``.

    ``aiohttp=True`` does the I/O with the SDK's aiohttp transport (it never decompresses, so the cap still counts
    decoded bytes here); when the SDK has no such transport the default one is used.
    """
    import openai

    limits = openai.DEFAULT_CONNECTION_LIMITS
    if max_connections is not None:
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    inner: httpx.AsyncBaseTransport | None = None
    if aiohttp:
        try:  # the SDK's vendored transport (openai[aiohttp]); not a public name, so guarded
            from openai._vendor.httpx_aiohttp import AiohttpTransport
        except ImportError:
            pass
        else:
            inner = AiohttpTransport(limits=limits)
    return openai.DefaultAsyncHttpxClient(transport=CappedTransport(max_bytes, inner=inner, limits=limits))
