import json

import pytest

from services.api_gateway.server_errors import error_for, http_answer, parse_status_line


@pytest.mark.parametrize(
    ("status", "reason", "code"),
    [(400, "Bad Request", 1025), (414, "URI Too Long", 1025), (431, "Request Header Fields Too Large", 1025),
     (501, "Not Implemented", 1025), (500, "Internal Server Error", 1014)],
)
def test_the_status_gunicorn_chose_is_kept(status, reason, code):
    error = error_for(status, reason)
    assert (error.code, error.status) == (code, status)


def test_http_answer_is_the_envelope():
    raw = http_answer(431, "Request Header Fields Too Large", "v2.45.1")
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 431 Request Header Fields Too Large"
    assert {"Connection: close", "Content-Type: application/json", f"Content-Length: {len(body)}"} <= set(lines)
    assert json.loads(body) == {
        "meta": {"api_status": "stable", "version": "v2.45.1"},
        "errors": [{"code": 1025, "title": "Request is not valid", "details": "Request Header Fields Too Large"}],
    }


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        (b"HTTP/1.1 414 URI Too Long\r\nConnection: close\r\n\r\n<html>", (414, "URI Too Long")),
        (b"HTTP/1.1 400 Bad Request\r\n", (400, "Bad Request")),
        (b"HTTP/1.1 500\r\n", (500, "")),
        (b"", None),
        (b"garbage", None),
        ("HTTP/1.1 ４００ x\r\n".encode(), None),
    ],
)
def test_parse_status_line(raw, parsed):
    assert parse_status_line(raw) == parsed
