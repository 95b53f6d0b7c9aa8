"""``/v1/media`` through the real gunicorn gateway and the real S3 server.

The memory test streams 100 MB up and down and reads the gateway workers' peak
resident memory (``VmHWM`` of /proc/<pid>/status, reset first through
/proc/<pid>/clear_refs): it must not grow with the file.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from infra.faults import child_pids, process_pid
from services.message_types.media_types import MB, UPLOAD_LIMIT

CHUNK = 1 * MB


def upload(api, data, content_type: str):
    return api("POST", "/v1/media", data=data, headers={"Content-Type": content_type})


def generated(total: int, digest) -> Iterator[bytes]:
    """``total`` random bytes, 1 MB at a time (a chunked body for requests), hashed into
    ``digest`` as they are sent."""
    sent = 0
    while sent < total:
        block = os.urandom(min(CHUNK, total - sent))
        digest.update(block)
        sent += len(block)
        yield block


def downloaded_sha256(api, media_id: str) -> tuple[str, int, dict]:
    digest = hashlib.sha256()
    size = 0
    with api("GET", f"/v1/media/{media_id}", stream=True) as answer:
        assert answer.status_code == 200, answer.text
        for block in answer.iter_content(CHUNK):
            digest.update(block)
            size += len(block)
        return digest.hexdigest(), size, dict(answer.headers)


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def _reset_peaks(pids: list[int]) -> bool:
    """Resets each process's VmHWM to its current RSS (Linux ``clear_refs`` 5)."""
    try:
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@pytest.mark.parametrize("content_type, size", [
    ("image/jpeg", 2 * MB), ("image/webp", 50 * 1024), ("audio/ogg; codecs=opus", 300 * 1024),
    ("video/mp4", 12 * MB), ("application/pdf", 1 * MB),
])
def test_upload_and_download_through_gunicorn_are_byte_identical(api, content_type, size):
    data = os.urandom(size)
    answer = upload(api, data, content_type)
    assert answer.status_code == 201, answer.text
    media_id = answer.json()["media"][0]["id"]
    sha, got_size, headers = downloaded_sha256(api, media_id)
    assert (sha, got_size) == (hashlib.sha256(data).hexdigest(), size)
    assert headers["Content-Type"] == content_type
    assert headers["Content-Disposition"].startswith(f'attachment; filename="{media_id}')
    assert api("DELETE", f"/v1/media/{media_id}").status_code == 200
    assert api("GET", f"/v1/media/{media_id}").json()["errors"][0]["code"] == 1006


def test_a_chunked_body_over_its_kind_limit_is_refused(api):
    answer = upload(api, generated(6 * MB, hashlib.sha256()), "image/png")
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"] == [{"code": 1009, "title": "Parameter value is not valid",
                                        "details": "Request content exceeds size of 5 MB (the limit of image/png)"}]


def test_a_declared_length_over_100_mb_is_answered_before_the_body_is_sent(stack, token):
    address = urlsplit(stack.api_url)
    head = (f"POST /v1/media HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/pdf\r\nContent-Length: {UPLOAD_LIMIT + 1}\r\n\r\n").encode()
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(head)  # and not one byte of the body
        answer = _one_response(conn)
    status_line, _, rest = answer.partition("\r\n")
    assert status_line.startswith("HTTP/1.1 400 "), answer
    assert "Request content exceeds size of 100 MB" in rest


def _one_response(conn: socket.socket) -> str:
    """One HTTP response, read until its Content-Length is in (the headers and the body
    may arrive in separate segments)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data.decode()
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return (head + b"\r\n\r\n" + body).decode()


def test_a_100_mb_upload_and_download_do_not_grow_the_gateway_workers_memory(stack, api, record_property):
    workers = child_pids(process_pid(stack, "gateway"))
    assert workers
    # Warm up every worker (the first upload imports and connects what it needs).
    for _ in range(2 * len(workers)):
        warm = upload(api, os.urandom(64 * 1024), "application/pdf")
        assert warm.status_code == 201, warm.text
    if not _reset_peaks(workers):
        pytest.skip("cannot reset VmHWM through /proc/<pid>/clear_refs here")
    before = {pid: _status_kb(pid, "VmRSS") for pid in workers}

    digest = hashlib.sha256()
    started = time.monotonic()
    answer = upload(api, generated(UPLOAD_LIMIT, digest), "application/pdf")
    upload_seconds = time.monotonic() - started
    assert answer.status_code == 201, answer.text
    media_id = answer.json()["media"][0]["id"]
    started = time.monotonic()
    sha, size, _ = downloaded_sha256(api, media_id)
    download_seconds = time.monotonic() - started
    assert (sha, size) == (digest.hexdigest(), UPLOAD_LIMIT)

    growth_kb = max(_status_kb(pid, "VmHWM") - before[pid] for pid in workers)
    peak_kb = max(_status_kb(pid, "VmHWM") for pid in workers)
    report = (f"100 MB upload {upload_seconds:.1f} s, download {download_seconds:.1f} s; gateway worker peak RSS "
              f"{peak_kb / 1024:.1f} MB, growth over its RSS before {growth_kb / 1024:.1f} MB")
    print(report)
    record_property("media_memory", report)
    # One 5 MB part is held at a time (plus minio's copies of it): far below the file.
    assert growth_kb < 32 * 1024, report
    assert api("DELETE", f"/v1/media/{media_id}").status_code == 200
