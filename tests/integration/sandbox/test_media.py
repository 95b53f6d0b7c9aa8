"""The network's media store over HTTP, in the real process: the routes, their errors,
the corrupt hook and durability with ``--state-file``."""

from __future__ import annotations

import http.client
import os
import signal
import stat

import requests

from sandbox.network.media_store import MAX_BLOB_BYTES, media_dir
from services.media.network_media import MediaNotFound, NetworkMedia
from tests.integration.sandbox.client import Business
from tests.integration.sandbox.conftest import SandboxProcess


def raw_post(url: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """A request head with no body sent: what the server answers from the headers alone."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("POST", path)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_routes_and_their_errors(sandbox: SandboxProcess, number: str):
    biz = Business(sandbox.url, "1", number).setup()
    url = sandbox.url + "/network/v1/media"
    auth = {"Authorization": f"Bearer {biz.token}"}

    raw = {**auth, "Content-Type": "application/octet-stream"}
    r = requests.post(url, data=b"\x00\x01secret-free bytes", headers=raw, timeout=10)
    assert r.status_code == 201, r.text
    media_id = r.json()["id"]
    r = requests.get(f"{url}/{media_id}", headers=auth, timeout=10)
    assert r.status_code == 200 and r.content == b"\x00\x01secret-free bytes"
    assert r.headers["Content-Type"] == "application/octet-stream"

    # Authentication, for both directions.
    assert requests.post(url, data=b"x", timeout=10).status_code == 401
    r = requests.get(f"{url}/{media_id}", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    # Unknown id: 404 in the network's error shape.
    r = requests.get(f"{url}/{'Z' * 32}", headers=auth, timeout=10)
    assert r.status_code == 404 and r.json() == {"error": "media_not_found", "message": "no media with this id"}
    # Only raw bytes, and never empty.
    r = requests.post(url, json={"a": 1}, headers=auth, timeout=10)
    assert r.status_code == 415 and r.json()["error"] == "unsupported_media_type"
    r = requests.post(url, data=b"", headers=raw, timeout=10)
    assert r.status_code == 400
    # The size bound: a declared length over it is refused before any byte is sent.
    status, body = raw_post(sandbox.url, "/network/v1/media", {
        **auth, "Content-Type": "application/octet-stream", "Content-Length": str(MAX_BLOB_BYTES + 1)})
    assert status == 413 and b"media_too_large" in body


def test_corrupt_flips_one_byte(sandbox: SandboxProcess, number: str):
    biz = Business(sandbox.url, "1", number).setup()
    media = NetworkMedia(sandbox.url, biz.token)
    data = os.urandom(4096)
    media_id = media.upload([data], len(data))
    r = requests.post(f"{sandbox.url}/sandbox/v1/media/{media_id}/corrupt", timeout=10)
    assert r.status_code == 200 and r.json() == {"id": media_id, "offset": 2048}
    changed = b"".join(media.download(media_id, len(data)))
    assert [i for i in range(len(data)) if changed[i] != data[i]] == [2048]
    r = requests.post(f"{sandbox.url}/sandbox/v1/media/{'Q' * 32}/corrupt", timeout=10)
    assert r.status_code == 404 and r.json()["error"] == "media_not_found"


def test_an_answered_upload_survives_a_sigkill(tmp_path, number: str):
    state_file = tmp_path / "state.json"
    first = SandboxProcess("--state-file", str(state_file)).start()
    data = os.urandom(3 * 1024 * 1024 + 5)
    try:
        biz = Business(first.url, "1", number).setup()
        media_id = NetworkMedia(first.url, biz.token).upload(iter([data[:1000], data[1000:]]), len(data))
    finally:
        assert first.proc is not None
        first.proc.send_signal(signal.SIGKILL)  # right after the 201
        first.proc.wait()
    blobs = media_dir(state_file)
    assert stat.S_IMODE(blobs.stat().st_mode) == 0o700
    assert stat.S_IMODE((blobs / media_id).stat().st_mode) == 0o600

    second = SandboxProcess("--state-file", str(state_file)).start()
    try:
        media = NetworkMedia(second.url, biz.token)  # the token survived too (journal)
        assert b"".join(media.download(media_id, len(data))) == data
        try:
            media.download("R" * 32, 10)
        except MediaNotFound:
            pass
        else:
            raise AssertionError("an unknown id was served")
    finally:
        second.stop()
