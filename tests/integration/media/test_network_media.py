"""``services/media/network_media.py`` against the real sandbox process."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator

import pytest

from services.media.network_media import MediaNotFound, MediaTransferError, NetworkMedia
from tests.integration.sandbox.client import Business
from tests.integration.sandbox.conftest import SandboxProcess

MB = 1024 * 1024


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    proc = SandboxProcess("--media-max-bytes", str(64 * MB)).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def media(sandbox: SandboxProcess) -> Iterator[NetworkMedia]:
    biz = Business(sandbox.url, "1", "5557001").setup()
    client = NetworkMedia(sandbox.url, biz.token, timeout=10)
    yield client
    client.close()


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_upload_and_download_are_byte_identical_and_streamed(media: NetworkMedia):
    data = os.urandom(20 * MB + 7)
    media_id = media.upload(pieces(data, 1 * MB), len(data))
    download = media.download(media_id, max_bytes=len(data))
    assert download.length == len(data)
    digest, sizes = hashlib.sha256(), []
    for chunk in download:
        digest.update(chunk)
        sizes.append(len(chunk))
    assert digest.digest() == hashlib.sha256(data).digest()
    assert max(sizes) <= 64 * 1024  # it arrived in chunks, never whole


def test_unknown_id_is_media_not_found_at_once(media: NetworkMedia):
    with pytest.raises(MediaNotFound):
        media.download("A" * 32, max_bytes=100)
    with pytest.raises(MediaNotFound):
        media.download("../../healthz", max_bytes=100)


def test_a_download_over_max_bytes_fails(media: NetworkMedia):
    media_id = media.upload([b"x" * 1000], 1000)
    with pytest.raises(MediaTransferError) as info:
        media.download(media_id, max_bytes=999)
    assert info.value.retryable is False
    assert b"".join(media.download(media_id, max_bytes=1000)) == b"x" * 1000


def test_a_bad_token_is_refused_not_retryable(sandbox: SandboxProcess, media: NetworkMedia):
    media_id = media.upload([b"y" * 10], 10)
    stranger = NetworkMedia(sandbox.url, "not-a-token")
    for call in (lambda: stranger.upload([b"z"], 1), lambda: stranger.download(media_id, 100)):
        with pytest.raises(MediaTransferError) as info:
            call()
        assert (info.value.status, info.value.retryable) == (401, False)
        assert "not-a-token" not in str(info.value)


def test_the_chunks_must_hold_the_announced_length(media: NetworkMedia):
    for chunks, length in (([b"abc"], 5), ([b"abcdefgh"], 5)):
        with pytest.raises(ValueError):
            media.upload(chunks, length)
    with pytest.raises(ValueError):
        media.upload([], 0)


def test_a_full_store_is_a_retryable_transfer_error(media: NetworkMedia):
    with pytest.raises(MediaTransferError) as info:
        media.upload(pieces(b"f" * (65 * MB), 4 * MB), 65 * MB)
    assert (info.value.status, info.value.retryable) == (507, True)


def test_unreachable_and_stalled_stores_time_out():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(MediaTransferError):  # nothing listens
        NetworkMedia(f"http://127.0.0.1:{port}", "t", timeout=1).download("A" * 32, 10)
    with socket.socket() as silent:  # accepts (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        client = NetworkMedia(f"http://127.0.0.1:{silent.getsockname()[1]}", "t", timeout=0.5)
        started = time.monotonic()
        with pytest.raises(MediaTransferError):
            client.download("A" * 32, 10)
        with pytest.raises(MediaTransferError):
            client.upload([b"x"], 1)
        assert time.monotonic() - started < 5
