"""``ObjectStore`` on the real S3 server: streamed writes, reads, deletes and outages."""

from __future__ import annotations

import io
import os
import socket
import uuid
from dataclasses import replace

import pytest

from services.media.object_store import (
    PART_SIZE,
    REQUEST_TIMEOUTS,
    ObjectStore,
    StoreUnavailable,
)


@pytest.fixture
def store(config):
    own = ObjectStore.from_config(replace(config, s3_bucket=f"test-store-{uuid.uuid4().hex[:12]}"))
    yield own
    client = own._client
    if client.bucket_exists(own.bucket):
        for item in client.list_objects(own.bucket, recursive=True):
            client.remove_object(own.bucket, item.object_name)
        client.remove_bucket(own.bucket)


class Failing(io.RawIOBase):
    """Gives ``good`` bytes, then raises as a client that went away would."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        size = self.left if size < 0 else min(size, self.left)
        self.left -= size
        return b"\x01" * size


def test_put_get_delete_round_trip_and_the_bucket_is_made_on_first_write(store):
    store.put("a/b", b"hello", "text/plain")
    stored = store.get("a/b")
    assert (stored.data, stored.content_type) == (b"hello", "text/plain")
    store.delete("a/b")
    assert store.get("a/b") is None
    store.delete("a/b")  # a missing key is no error


def test_a_stream_of_unknown_length_goes_in_parts_and_reads_back_in_chunks(store):
    data = os.urandom(2 * PART_SIZE + 12345)
    store.put_stream("big", io.BytesIO(data), "video/mp4")
    reader = store.open("big")
    try:
        assert (reader.size, reader.content_type) == (len(data), "video/mp4")
        chunks = list(reader.chunks())
    finally:
        reader.close()
    assert b"".join(chunks) == data
    assert max(len(chunk) for chunk in chunks) <= 64 * 1024


def test_a_failing_stream_raises_its_own_error_and_leaves_no_object_or_parts(store):
    with pytest.raises(ConnectionResetError):
        store.put_stream("broken", Failing(2 * PART_SIZE + 1), "application/pdf")
    assert store.open("broken") is None
    assert list(store._client._list_multipart_uploads(store.bucket).uploads) == []


def test_an_unreachable_store_raises_store_unavailable_without_the_endpoint(config):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    away = ObjectStore.from_config(replace(config, s3_endpoint=f"127.0.0.1:{port}"), REQUEST_TIMEOUTS)
    for call in (lambda: away.put("k", b"x", "text/plain"), lambda: away.open("k"), lambda: away.delete("k")):
        with pytest.raises(StoreUnavailable) as raised:
            call()
        assert str(port) not in str(raised.value)
