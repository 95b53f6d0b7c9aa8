"""The answer to a request gunicorn refuses before the app sees it, in the envelope. Pure.

gunicorn parses the request line and the headers itself and answers what it cannot
parse (a bad request line, HTTP/0.9, a request line longer than ``limit_request_line``,
more headers than ``limit_request_fields``, a header longer than
``limit_request_field_size``, a bad chunked body, …) with an HTML page of its own.
``gunicorn_worker`` keeps gunicorn's decision (the status, its log lines) and sends
this instead: the same status with ``errors[{code, title, details}]``.
"""

from __future__ import annotations

import json

from services.api_gateway.envelope import build
from services.common.errors import ApiError

_NOT_IMPLEMENTED = 501


def error_for(status: int, reason: str) -> ApiError:
    """1025 for what the client sent (4xx, and 501 for a transfer coding gunicorn does
    not implement); 1014 for gunicorn's own failures."""
    if 400 <= status < 500 or status == _NOT_IMPLEMENTED:
        return ApiError(1025, reason, http_status=status)
    return ApiError(1014, "Internal error", http_status=status)


def parse_status_line(raw: bytes) -> tuple[int, str] | None:
    """``(431, "Request Header Fields Too Large")`` from ``HTTP/1.1 431 Request …``."""
    line = raw.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isascii() or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2] if len(parts) > 2 else ""


def http_answer(status: int, reason: str, version: str) -> bytes:
    """The whole HTTP/1.1 answer; the connection is closed after it, as gunicorn does."""
    body, status = build(version, errors=[error_for(status, reason)])
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + payload
