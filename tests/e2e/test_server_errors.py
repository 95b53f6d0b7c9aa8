"""What gunicorn answers itself and what it logs, through the real gateway process
(issue 6: server-level errors in the envelope, an access log that cannot be forged)."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
import requests

from tests.common.openapi_check import checked_request
from tests.common.waiting import wait_for

META = {"api_status": "stable", "version": "v2.45.1"}
FORGED = '127.0.0.1 [01/Jan/2030:00:00:00 +0000] "GET /v1/forged" 200 0 1ms'


def raw_request(stack, data: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as it is and read the answer until the server closes."""
    address = urlsplit(stack.api_url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading it all
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    return int(status_line.split(" ")[1]), headers, body


def assert_enveloped(answer, status: int, code: int) -> dict:
    got_status, headers, body = answer
    assert got_status == status, (got_status, body)
    assert headers["content-type"].startswith("application/json"), headers
    document = json.loads(body)
    assert document["meta"] == META
    assert document["errors"][-1]["code"] == code, document
    assert set(document) == {"meta", "errors"}
    return document


def gateway_log(stack) -> list[str]:
    return (stack.run_dir / "gateway.log").read_text(errors="replace").splitlines()


def wait_for_log(stack, needle: str, timeout: float = 10.0) -> list[str]:
    """The gateway's log lines once one holds ``needle``."""
    return wait_for(lambda: (lines := gateway_log(stack)) and any(needle in line for line in lines) and lines,
                    timeout=timeout, interval=0.1, message=f"{needle!r} in the gateway's log")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(101)) + b"\r\n", 431),
        (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 9000 + b"\r\n\r\n", 431),
        (b"GET /v1/" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /v1/health\r\n\r\n", 400),  # HTTP/0.9
        (b"GET /v1/health HTTP/7.1\r\nHost: x\r\n\r\n", 400),
        (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n", 400),
        (b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo\r\n\r\n", 501),
        (b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\n", 417),
    ],
    ids=["too-many-headers", "header-too-long", "request-line-too-long", "bad-request-line", "http-0.9",
         "bad-version", "bad-header-name", "unsupported-coding", "bad-expect"],
)
def test_what_gunicorn_refuses_is_enveloped(stack, request_bytes, status):
    assert_enveloped(raw_request(stack, request_bytes), status, 1025)


@pytest.mark.parametrize(("query", "status"), [("x=" + "a" * 5000, 414)], ids=["long-query-string"])
def test_what_gunicorn_refuses_on_a_route_is_in_its_document(stack, token, query, status):
    # The same refusals, on a route the served document describes: the check (checked_request)
    # requires the status among the route's declared answers (the fuzzer found 414 was not).
    answer = checked_request("GET", f"{stack.api_url}/v1/health?{query}",
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == status
    assert answer.json()["errors"][0]["code"] == 1025


@pytest.mark.parametrize("chunks", [b"ZZ\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"2;a=\x01\r\n{}\r\n0\r\n\r\n"],
                         ids=["bad-size", "no-terminator", "bad-extension"])
def test_a_bad_chunked_body_is_enveloped(stack, token, chunks):
    # The body is read by the app (json_body), which is where gunicorn finds it bad.
    head = (f"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    assert_enveloped(raw_request(stack, head + chunks), 400, 1025)


def test_a_request_answered_before_its_bad_body_gets_one_answer(stack):
    # 401 without reading the body; gunicorn then fails to drain it: no second answer.
    data = (b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n")
    document = assert_enveloped(raw_request(stack, data), 401, 1005)
    assert document["errors"][0]["details"] == "Invalid credentials."


def test_an_oversized_body_is_413_before_it_is_read(stack, token):
    head = (f"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            "Content-Length: 2097152\r\n\r\n").encode()
    assert_enveloped(raw_request(stack, head + b"[" * 65536), 413, 1025)
    chunked = (f"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
               "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"[" * 65536
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 20 + b"0\r\n\r\n"
    assert_enveloped(raw_request(stack, chunked + body), 413, 1025)


def test_options_is_enveloped_with_allow(stack):
    answer = checked_request("OPTIONS", f"{stack.api_url}/v1/messages", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"meta": META}
    assert {"POST", "OPTIONS"} <= {m.strip() for m in answer.headers["Allow"].split(",")}
    unknown = checked_request("OPTIONS", f"{stack.api_url}/v1/nowhere", timeout=10)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == 1006


@pytest.mark.parametrize("separator", ["%0a", "%0d%0a", "%0d", "%1b[2K%0d", "%e2%80%a8"])
def test_a_path_cannot_forge_an_access_log_line(stack, separator):
    marker = f"forge-{separator.replace('%', '')}-end"
    path = f"/v1/{marker}{separator}{requests.utils.quote(FORGED, safe='')}"
    status, _, _ = raw_request(stack, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status == 404
    lines = wait_for_log(stack, marker)
    [line] = [line for line in lines if marker in line]
    assert f'"GET /v1/{marker}\\x' in line and "\\x22GET /v1/forged\\x22" in line, line
    assert not any(text.strip().startswith(FORGED[:20]) for text in lines), lines[-5:]
    assert all("\x1b" not in text and "\r" not in text for text in lines)


def test_a_refused_request_line_cannot_forge_an_error_log_line(stack):
    marker = "refused-line-marker"
    status, _, _ = raw_request(stack, f"GET /{marker}\x1b[2K\rWARNING forged HTTP/1.1\r\n\r\n".encode("latin-1"))
    assert status == 400
    lines = wait_for_log(stack, marker)
    assert all("\x1b" not in text and "\r" not in text for text in lines)
    # gunicorn quotes the line it refused with repr(): escaped before our formatter sees it.
    assert [line for line in lines if marker in line and "\\x1b[2K" in line], lines[-5:]
