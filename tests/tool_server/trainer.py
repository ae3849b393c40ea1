"""A stand-in for the hosted trainer: posts tool calls and grades to a tool server the way Azure's agentic RFT does."""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


class Trainer:
    """One keep-alive connection to a tool server (use one per thread)."""

    def __init__(self, url: str, token: str | None = None, timeout_s: float = 60.0) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout_s)
        self.headers = {"Content-Type": "application/json"}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.conn.request("POST", path, data, self.headers)
        response = self.conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        self.conn.request("GET", path, headers={**self.headers, **(headers or {})})
        response = self.conn.getresponse()
        return response.status, response.read()

    def call(self, trace_id: str, item: Mapping[str, Any], name: str, arguments: str, call_id: str) -> tuple[int, Any]:
        body = {
            "type": "function_call",
            "id": f"fc_{call_id}",
            "call_id": call_id,
            "name": name,
            "arguments": arguments,
            "trace_id": trace_id,
            "item": item,
        }
        return self.post(f"/tools/{name}", body)

    def grade(self, trace_id: str, item: Mapping[str, Any], sample: Any) -> tuple[int, Any]:
        return self.post("/grade", {"sample": sample, "item": item, "trace_id": trace_id})

    def close(self) -> None:
        self.conn.close()
