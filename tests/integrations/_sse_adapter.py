"""A streaming front for the local OpenAI-compatible server (test scaffolding).

verifiers' chat program always calls ``chat.completions.create(stream=True)``; rft-kit's local server answers
non-streaming requests only. This adapter forwards each request without ``stream`` and replays the complete answer as
chat-completion chunks (one delta with the whole message, then the finish reason, then usage, then ``[DONE]``), so the
model's reply reaches the program unchanged. It can also add fields to every request body (``extra``), which is how
the test hands the SIMULATED agent the row's reference, as ``rft rollout`` does through the SDK's ``extra_body``.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class SSEAdapter:
    """``with SSEAdapter(upstream_base_url, extra) as adapter: adapter.base_url``."""

    def __init__(self, upstream: str, extra: dict[str, Any] | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.extra = dict(extra or {})
        self.requests: list[dict[str, Any]] = []
        adapter = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                adapter.requests.append(body)
                stream = bool(body.pop("stream", False))
                body.pop("stream_options", None)
                body.update(adapter.extra)
                path = self.path[len("/v1") :] if self.path.startswith("/v1") else self.path
                request = urllib.request.Request(
                    adapter.upstream + path,
                    data=json.dumps(body).encode(),
                    headers={
                        "Content-Type": "application/json",
                        "Authorization": self.headers.get("Authorization", ""),
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        status, payload = response.status, response.read()
                except urllib.error.HTTPError as exc:
                    status, payload = exc.code, exc.read()
                if status != 200 or not stream:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in _chunks(json.loads(payload)):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> SSEAdapter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _chunks(completion: dict[str, Any]) -> list[dict[str, Any]]:
    base = {k: completion.get(k) for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    out = []
    for choice in completion.get("choices", []):
        message = choice.get("message") or {}
        delta: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
        if message.get("tool_calls"):
            delta["tool_calls"] = [{"index": i, **call} for i, call in enumerate(message["tool_calls"])]
        out.append({**base, "choices": [{"index": choice.get("index", 0), "delta": delta, "finish_reason": None}]})
        out.append(
            {
                **base,
                "choices": [
                    {"index": choice.get("index", 0), "delta": {}, "finish_reason": choice.get("finish_reason")}
                ],
            }
        )
    if completion.get("usage"):
        out.append({**base, "choices": [], "usage": completion["usage"]})
    return out
