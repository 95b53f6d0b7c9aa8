"""The network's media store, both backends, without a process (sandbox/network/media_store.py)."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.errors import ApiError
from sandbox.network.media_store import FileBlobs, MediaStore, MemoryBlobs, Quota, media_dir


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def broken(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
    raise ConnectionResetError("client gone")


def run(coro):
    return asyncio.run(coro)


def error_of(coro) -> ApiError:
    with pytest.raises(ApiError) as info:
        run(coro)
    return info.value


@pytest.fixture(params=["memory", "files"])
def blobs(request, tmp_path):
    return MemoryBlobs() if request.param == "memory" else FileBlobs(media_dir(tmp_path / "state.json"))


def test_quota_takes_and_gives_back():
    quota = Quota(10)
    quota.take(6)
    with pytest.raises(ApiError) as info:
        quota.take(5)
    assert info.value.status == 507 and info.value.code == "media_store_full"
    quota.give_back(6)
    quota.take(10)
    assert quota.used == 10


def test_round_trip_in_chunks(blobs):
    store = MediaStore(blobs)
    data = os.urandom(700_000)
    media_id = run(store.receive(chunks(data[:1], data[1:300_000], data[300_000:])))
    assert store.size(media_id) == len(data)
    assert store.read(media_id) == data

    async def streamed() -> bytes:
        return b"".join([part async for part in store.stream(media_id)])

    assert run(streamed()) == data
    assert store.quota.used == len(data)


def test_ids_are_opaque_and_distinct(blobs):
    store = MediaStore(blobs)
    ids = {run(store.put(b"x")) for _ in range(20)}
    assert len(ids) == 20 and all(len(i) == 32 for i in ids)


def test_unknown_and_malformed_ids_are_404(blobs):
    store = MediaStore(blobs)
    for media_id in ("A" * 32, "../state.json", "", "a/b"):
        with pytest.raises(ApiError) as info:
            store.size(media_id)
        assert (info.value.status, info.value.code) == (404, "media_not_found")


def test_a_blob_over_the_limit_is_refused_and_leaves_nothing(blobs, tmp_path):
    store = MediaStore(blobs, max_blob=100)
    # Declared: refused before reading.
    assert error_of(store.receive(chunks(b"x" * 101), declared_length=101)).status == 413
    # Not declared (chunked): refused when the bytes arrive.
    assert error_of(store.receive(chunks(b"x" * 60, b"x" * 41))).code == "media_too_large"
    assert store.quota.used == 0
    assert not list(store.blobs.sizes())
    if isinstance(blobs, FileBlobs):
        assert not list(blobs.directory.iterdir())
    assert store.size(run(store.put(b"x" * 100))) == 100


def test_the_total_is_bounded(blobs):
    store = MediaStore(blobs, max_total=1000)
    run(store.put(b"a" * 600))
    error = error_of(store.put(b"b" * 500))
    assert (error.status, error.code) == (507, "media_store_full")
    assert error_of(store.receive(chunks(b"c" * 300, b"c" * 300))).status == 507
    assert store.quota.used == 600
    run(store.put(b"d" * 400))  # exactly full is fine
    assert store.quota.used == 1000


def test_an_interrupted_or_empty_upload_stores_nothing(blobs):
    store = MediaStore(blobs)
    with pytest.raises(ConnectionResetError):
        run(store.receive(broken(b"x" * 1000), declared_length=2000))
    assert error_of(store.receive(chunks())).status == 400
    assert store.quota.used == 0 and not list(store.blobs.sizes())


def test_corrupt_flips_one_byte(blobs):
    store = MediaStore(blobs)
    data = os.urandom(1001)
    media_id = run(store.put(data))
    offset = run(store.corrupt(media_id))
    changed = store.read(media_id)
    assert offset == 500 and len(changed) == len(data)
    assert [i for i in range(len(data)) if changed[i] != data[i]] == [offset]
    assert error_of(store.corrupt("B" * 32)).status == 404


def test_delete_gives_the_space_back(blobs):
    store = MediaStore(blobs, max_total=100)
    media_id = run(store.put(b"x" * 100))
    store.delete(media_id)
    assert store.quota.used == 0
    with pytest.raises(ApiError):
        store.size(media_id)


def test_files_are_private_and_survive_a_new_store(tmp_path: Path):
    directory = media_dir(tmp_path / "state.json")
    store = MediaStore(FileBlobs(directory))
    media_id = run(store.put(b"ciphertext"))
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / media_id).stat().st_mode) == 0o600
    # A part file is an upload a crash interrupted (never answered): dropped at start.
    (directory / ("C" * 32 + ".part")).write_bytes(b"half")
    again = MediaStore(FileBlobs(directory), max_total=20)
    assert again.read(media_id) == b"ciphertext"
    assert again.quota.used == len(b"ciphertext")
    assert sorted(p.name for p in directory.iterdir()) == [media_id]
