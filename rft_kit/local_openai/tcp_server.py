"""The local app over real TCP: :class:`LocalServer` in a background thread (tests, notebooks), :func:`serve` for
``rft local-server``. Requests are answered by :class:`~rft_kit.local_openai.app.LocalApp`, the same code path as the
in-process transport of ``base_url: local``."""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from types import TracebackType

from .app import LocalApp
from .config import FailFirst, ServerConfig
from .http_handler import ApiHTTPServer
from .routes import RouteHandler
from .state import ServerState
from .stats import ServerStats

__all__ = ["LocalServer", "serve"]


class LocalServer:
    """A local OpenAI-compatible server in a background thread.

    Example::

        with LocalServer() as server:
            client = openai.OpenAI(base_url=server.base_url, api_key="local")
            client.embeddings.create(model="hashing-embed-256", input=["hello"])

    Args:
        host: interface to bind.
        port: TCP port; ``0`` picks a free one (read it back from :attr:`port`).
        latency_s, fail_first, fail_status, retry_after_ms, default_embedding_model, api_key, log_requests:
            see :class:`ServerConfig`.
        routes: extra ``(method, pattern) -> handler`` entries for this server only (tests add endpoints so).

    Raises:
        ValueError: an invalid setting, or a ``default_embedding_model`` that is not installed.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency_s: float = 0.0,
        fail_first: FailFirst = 0,
        fail_status: int = 500,
        retry_after_ms: int | None = 1,
        default_embedding_model: str | None = None,
        api_key: str | None = None,
        log_requests: bool = False,
        routes: Mapping[tuple[str, str], RouteHandler] | None = None,
    ) -> None:
        self.config = ServerConfig(
            latency_s=latency_s,
            fail_first=fail_first,
            fail_status=fail_status,
            retry_after_ms=retry_after_ms,
            default_embedding_model=default_embedding_model,
            api_key=api_key,
            log_requests=log_requests,
        )
        self.app = LocalApp.from_config(self.config, routes=routes)
        self._host = host
        self._port = port
        self._httpd: ApiHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        return self._require().server_address[1]

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` (after :meth:`start`)."""
        host = self._require().server_address[0]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The ``base_url`` for an OpenAI client: ``http://HOST:PORT/v1`` (after :meth:`start`)."""
        return f"{self.url}/v1"

    @property
    def state(self) -> ServerState:
        """The app's shared state (settings, models, faults, counters)."""
        return self.app.state

    @property
    def stats(self) -> ServerStats:
        """Request counters."""
        return self.state.stats

    def configure_faults(
        self,
        *,
        latency_s: float = 0.0,
        fail_first: FailFirst = 0,
        fail_status: int = 500,
        retry_after_ms: int | None = 1,
    ) -> None:
        """Change the injected faults of a running server and restart their request count.

        Raises:
            ValueError: an invalid setting (see :class:`ServerConfig`).
        """
        self.state.faults.configure(
            latency_s=latency_s, fail_first=fail_first, fail_status=fail_status, retry_after_ms=retry_after_ms
        )

    def start(self) -> LocalServer:
        """Bind and start serving in a daemon thread; returns ``self``.

        Raises:
            OSError: the address cannot be bound.
            RuntimeError: already started.
        """
        if self._httpd is not None:
            raise RuntimeError("LocalServer already started")
        self._httpd = ApiHTTPServer((self._host, self._port), self.app)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"rft-kit-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _require(self) -> ApiHTTPServer:
        if self._httpd is None:
            raise RuntimeError("LocalServer is not running; call start() or use it as a context manager")
        return self._httpd


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    latency_s: float = 0.0,
    fail_first: FailFirst = 0,
    fail_status: int = 500,
    retry_after_ms: int | None = 1,
    default_embedding_model: str | None = None,
    api_key: str | None = None,
    log_requests: bool = True,
) -> None:
    """Run the local OpenAI-compatible server in the foreground until interrupted (``rft local-server``).

    Prints the ``base_url`` and the models served, saying which are simulated or stand-ins, then serves until
    Ctrl-C. The default embedding model is loaded before the first request so that request is not slow.

    Args:
        host: interface to bind (``0.0.0.0`` exposes it to the network; there is no auth unless ``api_key``).
        port: TCP port.
        latency_s, fail_first, fail_status, retry_after_ms, default_embedding_model, api_key, log_requests:
            see :class:`ServerConfig`.

    Raises:
        ValueError: an invalid setting.
        OSError: the address cannot be bound.
    """
    server = LocalServer(
        host,
        port,
        latency_s=latency_s,
        fail_first=fail_first,
        fail_status=fail_status,
        retry_after_ms=retry_after_ms,
        default_embedding_model=default_embedding_model,
        api_key=api_key,
        log_requests=log_requests,
    )
    embeddings = server.state.embeddings
    embeddings.get(embeddings.default).load()
    server.start()
    out = sys.stderr
    out.write(f"rft-kit local OpenAI-compatible server at {server.base_url}\n")
    for model_id, served_by in embeddings.ids().items():
        note = ""
        if model_id != served_by:
            note = f"  -> local stand-in served by {served_by}, NOT OpenAI's model"
        elif embeddings.get(model_id).simulated:
            note = "  (SIMULATED: feature hashing, not a semantic model)"
        out.write(f"  embeddings: {model_id}{note}\n")
    out.write("Press Ctrl-C to stop.\n")
    out.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
