import hashlib
import io

import pytest

from services.media.measured import MeasuredReader, TooLarge, Truncated


class Recording(io.BytesIO):
    """A source that remembers how much was asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(size)
        return super().read(size)


def read_all(reader: MeasuredReader, chunk: int = 7) -> bytes:
    parts = []
    while part := reader.read(chunk):
        parts.append(part)
    return b"".join(parts)


def test_counts_and_hashes_what_passes():
    data = bytes(range(256)) * 40
    reader = MeasuredReader(io.BytesIO(data), limit=len(data))
    assert read_all(reader) == data
    assert reader.size == len(data)
    assert reader.sha256 == hashlib.sha256(data).hexdigest()


def test_peeked_bytes_are_read_again_and_counted_once():
    data = b"RIFF....WEBPVP8X" + b"x" * 100
    reader = MeasuredReader(io.BytesIO(data), limit=1000)
    assert reader.peek(21) == data[:21]
    assert reader.peek(4) == b"RIFF"
    assert reader.size == 0
    assert read_all(reader, chunk=5) == data
    assert reader.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(RuntimeError):
        reader.peek(1)


def test_one_byte_over_the_limit_raises_and_no_more_is_asked_for():
    source = Recording(b"a" * 100)
    reader = MeasuredReader(source, limit=10)
    assert reader.read(10) == b"a" * 10
    with pytest.raises(TooLarge) as raised:
        reader.read(1000)
    assert raised.value.limit == 10
    assert sum(size for size in source.asked) == 11


def test_the_limit_may_be_lowered_after_a_peek():
    reader = MeasuredReader(io.BytesIO(b"b" * 50), limit=100)
    reader.peek(5)
    reader.limit = 20
    with pytest.raises(TooLarge):
        read_all(reader)


def test_exactly_the_limit_is_fine():
    reader = MeasuredReader(io.BytesIO(b"c" * 10), limit=10)
    assert read_all(reader, chunk=100) == b"c" * 10


def test_never_reads_past_the_declared_length():
    source = Recording(b"d" * 10 + b"NEXT REQUEST")
    reader = MeasuredReader(source, limit=100, expected=10)
    assert read_all(reader, chunk=64) == b"d" * 10
    assert source.tell() == 10


def test_a_body_shorter_than_declared_is_truncated():
    reader = MeasuredReader(io.BytesIO(b"e" * 5), limit=100, expected=8)
    assert reader.read(100) == b"e" * 5
    with pytest.raises(Truncated) as raised:
        reader.read(100)
    assert (raised.value.expected, raised.value.got) == (8, 5)


def test_read_of_nothing_is_not_the_end():
    reader = MeasuredReader(io.BytesIO(b"f"), limit=10, expected=1)
    assert reader.read(0) == b""
    assert reader.read() == b"f"
