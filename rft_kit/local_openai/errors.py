"""OpenAI-style API errors: ``{"error": {"message", "type", "param", "code"}}`` with an HTTP status."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "error_body", "error_type_for_status"]


def error_type_for_status(status: int) -> str:
    """Return the OpenAI error ``type`` usually paired with an HTTP status."""
    if status == 429:
        return "requests"
    if status >= 500:
        return "server_error"
    return "invalid_request_error"


def error_body(message: str, *, type: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """Build the JSON body of an OpenAI-style error."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


class ApiError(Exception):
    """Raised by a route to answer with an OpenAI-style error.

    Args:
        status: HTTP status (400 bad request, 404 unknown model, ...).
        message: what is wrong, for the client's user.
        code: OpenAI's machine-readable ``code`` (``model_not_found``), if any.
        param: the request field at fault, if any.
        type: OpenAI's error ``type``; derived from ``status`` when omitted.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type or error_type_for_status(status)

    def body(self) -> dict[str, Any]:
        """Return the JSON body for this error."""
        return error_body(self.message, type=self.type, code=self.code, param=self.param)
