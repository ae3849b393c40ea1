"""Parse ``multipart/form-data`` request bodies (the SDK's file uploads) with the standard library's MIME parser."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import Any

from .errors import ApiError

__all__ = ["FormFile", "parse_form"]


@dataclass(frozen=True)
class FormFile:
    """An uploaded file field: its client-side name and its bytes."""

    filename: str
    content: bytes


def parse_form(content_type: str, raw: bytes) -> dict[str, Any]:
    """The form's fields: text fields as ``str``, file fields as :class:`FormFile`.

    Raises:
        ApiError: 400 when the body is not a well-formed multipart form.
    """
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        raise ApiError(400, "The multipart/form-data body could not be parsed (missing or wrong boundary).")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        fields[name] = FormFile(filename, data) if filename is not None else data.decode("utf-8", "replace")
    return fields
