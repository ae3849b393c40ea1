"""Run a tool server: :class:`ToolServer` in a background thread (tests, notebooks) or :func:`serve` (the CLI)."""

from __future__ import annotations

import sys
from types import TracebackType

from ..serving import BackgroundServer, bind, run_foreground
from .app import ToolServerConfig, build_app

__all__ = ["ToolServer", "serve"]


class ToolServer:
    """Every registered environment behind Azure's agentic RFT tool protocol, plus ``/grade``.

    Example::

        with ToolServer(ToolServerConfig(grader=load_grader("graders/tasks/support_desk.yaml"))) as server:
            httpx.post(f"{server.url}/tools/get_order", json={"type": "function_call", "id": "fc_1",
                       "call_id": "call_1", "name": "get_order", "arguments": '{"order_id": "O-1"}',
                       "trace_id": "rollout-1", "item": row}).json()["output"]
    """

    def __init__(self, config: ToolServerConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or ToolServerConfig()
        self._server = BackgroundServer(build_app(self.config), self.config.settings, host, port)

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> ToolServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> ToolServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve(config: ToolServerConfig, host: str, port: int) -> None:
    """Serve in the foreground until SIGTERM or Ctrl-C (in-flight requests finish first).

    Raises:
        OSError: the address cannot be bound.
    """
    sock = bind(host, port)
    h, p = sock.getsockname()[:2]
    out = sys.stderr
    grader = config.grader
    out.write(f"rft-kit tool server at http://{h}:{p}\n")
    out.write("  POST /tools/{name} {type: function_call, id, call_id, name, arguments, trace_id, item}\n")
    out.write("       -> {type: function_call_output, call_id, id, output}   (Azure agentic RFT tool protocol)\n")
    if grader is not None:
        out.write(
            f"  POST /grade {{sample, item, trace_id}} -> {{score}}   grader {grader.type} {grader.name!r}, "
            f"workers: {config.workers or 'in-process'}\n"
        )
    else:
        out.write("  POST /grade: no grader (start with --grader G)\n")
    out.write(f"  GET /health   GET /metrics   traces: idle {config.ttl_s:g} s TTL, at most {config.max_traces} live\n")
    out.write(f"  auth: {'bearer token' if config.settings.token else 'none'}\n")
    out.write("SIGTERM or Ctrl-C stops it after in-flight requests finish.\n")
    out.flush()
    run_foreground(build_app(config), config.settings, sock)
