"""``/v1/media`` through the Flask app on the real S3 server and MongoDB.

Each test has its own bucket, so "nothing left behind" can be checked by listing it.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import time
import uuid
from dataclasses import replace

import pytest
from minio import Minio

from services.media.catalogue import object_key
from services.message_types.media_types import KB, MB, UPLOAD_LIMIT
from tests.integration.gateway.conftest import META, assert_error, bearer

UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def webp(size: int, animated: bool) -> bytes:
    flags = 0x02 if animated else 0x00
    head = b"RIFF" + (size - 8).to_bytes(4, "little") + b"WEBP" + b"VP8X" + b"\x0a\x00\x00\x00" + bytes([flags])
    return head + os.urandom(size - len(head))


@pytest.fixture
def config(config):
    """The session's servers, with a bucket of this test's own."""
    return replace(config, s3_bucket=f"test-media-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def s3(config):
    client = Minio(config.s3_endpoint, config.s3_access_key, config.s3_secret_key, secure=config.s3_secure)
    yield client
    if client.bucket_exists(config.s3_bucket):
        for item in client.list_objects(config.s3_bucket, recursive=True):
            client.remove_object(config.s3_bucket, item.object_name)
        client.remove_bucket(config.s3_bucket)


def objects(s3, config) -> list[str]:
    if not s3.bucket_exists(config.s3_bucket):
        return []
    return [item.object_name for item in s3.list_objects(config.s3_bucket, recursive=True)]


def incomplete_uploads(s3, config) -> list:
    if not s3.bucket_exists(config.s3_bucket):
        return []
    return list(s3._list_multipart_uploads(config.s3_bucket).uploads)


def upload(client, auth, data: bytes, content_type: str | None, **kwargs):
    headers = dict(auth)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.post("/v1/media", data=data, headers=headers, **kwargs)


def chunked(client, auth, data: bytes | io.RawIOBase, content_type: str):
    """A body without Content-Length, as gunicorn hands a chunked one to the app."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    return client.post("/v1/media", headers={**auth, "Content-Type": content_type, "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input": stream, "wsgi.input_terminated": True})


def assert_nothing_left(db, s3, config) -> None:
    assert list(db.media.find()) == []
    assert objects(s3, config) == []
    assert incomplete_uploads(s3, config) == []


CASES = [
    ("image/jpeg", 300 * KB, "image/jpeg", ".jpg"),
    ("image/png", 5 * MB, "image/png", ".png"),  # exactly the limit
    ("image/webp", 100 * KB, "image/webp", ".webp"),
    ("audio/aac", 64 * KB, "audio/aac", ".aac"),
    ("audio/mp4", 64 * KB, "audio/mp4", ".m4a"),
    ("audio/amr", 64 * KB, "audio/amr", ".amr"),
    ("audio/mpeg", 64 * KB, "audio/mpeg", ".mp3"),
    ("audio/ogg; codecs=opus", 64 * KB, "audio/ogg; codecs=opus", ".ogg"),
    ("video/mp4", 7 * MB, "video/mp4", ".mp4"),  # over one part: a multipart upload
    ("video/3gpp", 256 * KB, "video/3gpp", ".3gp"),
    ("application/pdf", 512 * KB, "application/pdf", ".pdf"),
    ("text/plain; charset=utf-8", 10, "text/plain; charset=utf-8", ".txt"),
    ("application/x-custom", 1, "application/x-custom", ""),
]


@pytest.mark.parametrize("content_type, size, stored_type, ext", CASES)
def test_every_type_comes_back_byte_identical(client, auth, db, s3, config, content_type, size, stored_type, ext):
    data = webp(size, animated=False) if content_type == "image/webp" else os.urandom(size)
    answer = upload(client, auth, data, content_type)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert set(body) == {"media", "meta"} and body["meta"] == META
    [item] = body["media"]
    assert set(item) == {"id"}
    media_id = item["id"]
    assert uuid.UUID(media_id).version == 4 and str(uuid.UUID(media_id)) == media_id

    doc = db.media.find_one({"_id": media_id})
    assert doc["state"] == "ready" and doc["origin"] == "uploaded" and doc["owner"] == "admin"
    assert doc["mime_type"] == stored_type and doc["size"] == size
    assert doc["sha256"] == hashlib.sha256(data).hexdigest()
    assert doc["object_key"] == object_key(media_id)
    assert doc["created_at"] == doc["last_used_at"]
    assert objects(s3, config) == [object_key(media_id)]

    got = client.get(f"/v1/media/{media_id}", headers=auth)
    assert got.status_code == 200
    assert hashlib.sha256(got.data).hexdigest() == hashlib.sha256(data).hexdigest()
    assert got.headers["Content-Type"] == stored_type
    assert got.headers["Content-Length"] == str(size)
    assert got.headers["Content-Disposition"] == f'attachment; filename="{media_id}{ext}"'


def test_a_chunked_body_is_measured_while_it_streams(client, auth, db):
    data = os.urandom(6 * MB)
    answer = chunked(client, auth, data, "application/pdf")
    assert answer.status_code == 201, answer.get_json()
    media_id = answer.get_json()["media"][0]["id"]
    doc = db.media.find_one({"_id": media_id})
    assert (doc["size"], doc["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert client.get(f"/v1/media/{media_id}", headers=auth).data == data


def test_head_answers_the_headers_without_the_bytes(client, auth):
    media_id = upload(client, auth, b"%PDF-1.7 body", "application/pdf").get_json()["media"][0]["id"]
    answer = client.head(f"/v1/media/{media_id}", headers=auth)
    assert answer.status_code == 200 and answer.data == b""
    assert (answer.headers["Content-Type"], answer.headers["Content-Length"]) == ("application/pdf", "13")


def test_an_uploaded_page_is_served_unsniffed_and_sandboxed(client, auth):
    page = b"<html><script>fetch('/v1/users/logout', {method: 'POST'})</script></html>"
    media_id = upload(client, auth, page, "text/html").get_json()["media"][0]["id"]
    for fetch in (client.get, client.head):
        answer = fetch(f"/v1/media/{media_id}", headers=auth)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("text/html")
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert answer.headers["Content-Disposition"].startswith("attachment;")
    missing = client.get("/v1/media/not-a-medium", headers=auth)
    assert missing.status_code == 404 and missing.headers["X-Content-Type-Options"] == "nosniff"


def test_ids_are_accepted_in_upper_case(client, auth):
    media_id = upload(client, auth, b"abc", "text/plain").get_json()["media"][0]["id"]
    assert client.get(f"/v1/media/{media_id.upper()}", headers=auth).data == b"abc"


@pytest.mark.parametrize("content_type, code, details", [
    (None, 1008, "Content-Type missing"),
    ("", 1008, "Content-Type missing"),
    ("jpeg", 1009, "Parameter 'Content-Type' has invalid value 'jpeg'"),
    ("image/jpeg; x", 1009, "Parameter 'Content-Type' has invalid value 'image/jpeg; x'"),
    ("audio/ogg", 1009, "Parameter 'Content-Type' has invalid value 'audio/ogg': not a supported media type"),
    ("image/gif", 1009, "Parameter 'Content-Type' has invalid value 'image/gif': not a supported media type"),
    ("video/webm", 1009, "Parameter 'Content-Type' has invalid value 'video/webm': not a supported media type"),
])
def test_a_missing_or_unsupported_type_is_refused(client, auth, db, s3, config, content_type, code, details):
    assert_error(upload(client, auth, b"data", content_type), 400, code, details)
    assert_nothing_left(db, s3, config)


def test_an_empty_body_is_refused(client, auth, db, s3, config):
    details = "Request body is empty: the media file is the body"
    assert_error(upload(client, auth, b"", "image/jpeg"), 400, 1008, details)
    assert_error(chunked(client, auth, b"", "image/jpeg"), 400, 1008)
    assert_nothing_left(db, s3, config)


def test_a_declared_length_over_100_mb_is_refused_before_the_body_is_read(client, auth, db, s3, config):
    stream = io.BytesIO(b"only a few bytes")
    answer = client.post("/v1/media", input_stream=stream, headers={**auth, "Content-Type": "application/pdf"},
                         environ_overrides={"CONTENT_LENGTH": str(UPLOAD_LIMIT + 1)})
    assert_error(answer, 400, 1009, "Request content exceeds size of 100 MB")
    assert stream.tell() == 0
    assert_nothing_left(db, s3, config)


@pytest.mark.parametrize("content_type, data, limit", [
    ("image/jpeg", b"\xff" * (5 * MB + 1), "5 MB"),
    ("audio/mpeg", b"\x00" * (16 * MB + 1), "16 MB"),
    ("image/webp", webp(100 * KB + 1, animated=False), "100 KB"),
    ("image/webp", webp(500 * KB + 1, animated=True), "500 KB"),
])
def test_the_limit_of_each_kind_holds_for_declared_and_chunked_bodies(client, auth, db, s3, config,
                                                                       content_type, data, limit):
    details = f"Request content exceeds size of {limit} (the limit of {content_type})"
    assert_error(upload(client, auth, data, content_type), 400, 1009, details)
    assert_error(chunked(client, auth, data, content_type), 400, 1009, details)
    assert_nothing_left(db, s3, config)


def test_an_animated_sticker_may_be_up_to_500_kb(client, auth):
    answer = upload(client, auth, webp(500 * KB, animated=True), "image/webp")
    assert answer.status_code == 201, answer.get_json()


def test_a_chunked_body_over_100_mb_stops_at_the_limit_and_leaves_no_parts(client, auth, db, s3, config):
    class Endless(io.RawIOBase):
        """Zeros for ever; counts what was asked of it."""

        given = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            buffer[:] = bytes(len(buffer))
            self.given += len(buffer)
            return len(buffer)

    stream = Endless()
    answer = chunked(client, auth, stream, "application/pdf")
    assert_error(answer, 400, 1009, "Request content exceeds size of 100 MB")
    assert stream.given == UPLOAD_LIMIT + 1  # not a byte more was read
    assert_nothing_left(db, s3, config)


def test_a_body_shorter_than_its_content_length_leaves_no_parts(client, auth, db, s3, config):
    # 12 MB of a declared 20 MB: two parts were uploaded before the body ran out.
    answer = client.post("/v1/media", input_stream=io.BytesIO(os.urandom(12 * MB)),
                         headers={**auth, "Content-Type": "application/pdf"},
                         environ_overrides={"CONTENT_LENGTH": str(20 * MB)})
    assert answer.status_code == 400
    assert answer.get_json()["errors"][-1]["code"] == 1025
    assert_nothing_left(db, s3, config)


@pytest.mark.parametrize("media_id", [str(uuid.uuid4()), "not-an-id", "0" * 300, str(uuid.uuid1())])
def test_an_unknown_or_malformed_id_is_404(client, auth, media_id):
    details = f"File with id {media_id if len(media_id) <= 64 else media_id[:63] + '…'} not found"
    assert_error(client.get(f"/v1/media/{media_id}", headers=auth), 404, 1006, details)
    assert_error(client.delete(f"/v1/media/{media_id}", headers=auth), 404, 1006, details)


def test_delete_removes_the_object_and_its_document(client, auth, db, s3, config):
    kept = upload(client, auth, b"kept", "text/plain").get_json()["media"][0]["id"]
    gone = upload(client, auth, b"gone", "text/plain").get_json()["media"][0]["id"]
    answer = client.delete(f"/v1/media/{gone}", headers=auth)
    assert answer.status_code == 200 and answer.get_json() == {"meta": META}
    assert db.media.find_one({"_id": gone}) is None
    assert objects(s3, config) == [object_key(kept)]
    assert_error(client.get(f"/v1/media/{gone}", headers=auth), 404, 1006)
    assert_error(client.delete(f"/v1/media/{gone}", headers=auth), 404, 1006)
    assert client.get(f"/v1/media/{kept}", headers=auth).data == b"kept"


def test_an_upload_in_progress_is_not_served(client, auth, db):
    media_id = str(uuid.uuid4())
    db.media.insert_one({"_id": media_id, "object_key": object_key(media_id), "state": "uploading"})
    assert_error(client.get(f"/v1/media/{media_id}", headers=auth), 404, 1006)


def test_media_needs_a_token(client, token):
    media_id = str(uuid.uuid4())
    assert client.post("/v1/media", data=b"x", headers={"Content-Type": "text/plain"}).status_code == 401
    assert client.get(f"/v1/media/{media_id}").status_code == 401
    assert client.delete(f"/v1/media/{media_id}", headers=bearer("wrong")).status_code == 401


def test_json_routes_keep_the_1_mb_limit(client, auth):
    answer = client.post("/v1/messages", data=b"[" + b" " * (1024 * 1024) + b"]", headers=auth,
                         content_type="application/json")
    assert_error(answer, 413, 1025, "Request body is too large")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_store_answers_503_fast_and_serves_nothing_new(app, client, auth, db, config):
    from services.api_gateway import media

    media_id = upload(client, auth, b"stored before", "text/plain").get_json()["media"][0]["id"]
    away = replace(config, s3_endpoint=f"127.0.0.1:{_closed_port()}")
    from services.media.object_store import REQUEST_TIMEOUTS, ObjectStore

    app.extensions[media.STORE_EXTENSION] = ObjectStore.from_config(away, REQUEST_TIMEOUTS)
    calls = {
        "upload": lambda: upload(client, auth, b"new", "text/plain"),
        "download": lambda: client.get(f"/v1/media/{media_id}", headers=auth),
        "delete": lambda: client.delete(f"/v1/media/{media_id}", headers=auth),
    }
    for name, call in calls.items():
        started = time.monotonic()
        answer = call()
        elapsed = time.monotonic() - started
        assert_error(answer, 503, 1016, "The media store is unreachable: retry later")
        assert answer.headers["Retry-After"] == "1", name
        assert elapsed < 3, (name, elapsed)
    # The refused upload is not served; its document stays "uploading" (an object might
    # exist if the store had taken the write), for the GC to finish.
    assert [doc["_id"] for doc in db.media.find({"state": "ready"})] == [media_id]
    assert [doc["state"] for doc in db.media.find({"_id": {"$ne": media_id}})] == ["uploading"]
