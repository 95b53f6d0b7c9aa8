"""The network's media store: a CDN that holds encrypted files (and the businesses'
profile photos, which are public: sandbox/network/profiles.py).

A sender encrypts a file with a fresh media key (services/protocol/media.py), uploads
the ciphertext here (``POST /network/v1/media``, or in-process for the phones) and
sends the id, the key and the hashes inside the end-to-end message; the receiver
fetches the blob by id (``GET /network/v1/media/{id}``) and checks and decrypts it
itself. The store cannot tell a blob from noise, and never needs to.

Two backends, one behaviour:

- in memory (no ``--state-file``): the blobs are ``bytes`` in a dict;
- on disk (``--state-file PATH``): one file per blob in ``PATH.media/`` (mode 0700,
  files 0600), written as ``<id>.part``, fsync'd, renamed to ``<id>`` and the
  directory fsync'd, all before the upload is answered: an answered upload survives a
  SIGKILL. The blobs are not in the snapshot or the journal (they are large and never
  change; the corrupt hook rewrites one byte in place and fsyncs it). A ``.part`` left
  by a crash was never answered and is deleted at start.

Both are bounded: a blob to ``MAX_BLOB_BYTES`` (``413 media_too_large``) and all blobs
together to ``max_total`` bytes (``507 media_store_full``; space is taken as bytes
arrive, or at once for the declared length, and given back when an upload fails).
Nothing is ever deleted: the sandbox is for tests and development.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import secrets
from collections.abc import AsyncIterable, Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from sandbox.durable_files import fsync_directory, write_all
from sandbox.errors import ApiError, bad_request, not_found

MAX_BLOB_BYTES = 100 * 1024 * 1024 + 32
"""The largest media file (a 100 MB document) once encrypted: PKCS#7 adds at most 16
bytes and the MAC 10."""
DEFAULT_MAX_TOTAL = 1024 * 1024 * 1024
"""All blobs together (``--media-max-bytes``, ``SANDBOX_MEDIA_MAX_BYTES``)."""
READ_CHUNK = 256 * 1024
MEDIA_DIR_SUFFIX = ".media"
_PART = ".part"
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
FILE_MODE = 0o600
DIR_MODE = 0o700

T = TypeVar("T")


def media_dir(state_file: Path) -> Path:
    """Where the blobs of a sandbox with this state file live."""
    return state_file.with_name(state_file.name + MEDIA_DIR_SUFFIX)


def new_media_id() -> str:
    """Opaque, unguessable, and safe as a file name (URL-safe base64, 32 characters)."""
    return secrets.token_urlsafe(24)


def media_too_large(limit: int) -> ApiError:
    return ApiError(413, "media_too_large", f"an encrypted media file may hold at most {limit} bytes")


def media_store_full() -> ApiError:
    return ApiError(507, "media_store_full", "the sandbox's media store is full (see --media-max-bytes)")


def media_not_found() -> ApiError:
    return not_found("no media with this id", code="media_not_found")


class Quota:
    """Bytes in use (stored, or taken by uploads in progress) out of ``max_total``."""

    def __init__(self, max_total: int, used: int = 0) -> None:
        self.max_total = max_total
        self.used = used

    def take(self, n: int) -> None:
        if self.used + n > self.max_total:
            raise media_store_full()
        self.used += n

    def give_back(self, n: int) -> None:
        self.used = max(0, self.used - n)


class BlobWriter(Protocol):
    def write(self, chunk: bytes) -> None: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...


class _MemoryWriter:
    def __init__(self, blobs: dict[str, bytes], media_id: str) -> None:
        self._blobs, self._id, self._chunks = blobs, media_id, list[bytes]()

    def write(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    def commit(self) -> None:
        self._blobs[self._id] = b"".join(self._chunks)
        self._chunks = []

    def abort(self) -> None:
        self._chunks = []


class MemoryBlobs:
    """Blobs in memory: everything is gone when the process stops."""

    blocking = False

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def sizes(self) -> Iterator[int]:
        return (len(blob) for blob in self._blobs.values())

    def writer(self, media_id: str) -> BlobWriter:
        return _MemoryWriter(self._blobs, media_id)

    def size(self, media_id: str) -> int | None:
        blob = self._blobs.get(media_id)
        return None if blob is None else len(blob)

    def open(self, media_id: str) -> BinaryIO:
        return io.BytesIO(self._blobs[media_id])

    def flip(self, media_id: str, offset: int) -> None:
        blob = bytearray(self._blobs[media_id])
        blob[offset] ^= 0x01
        self._blobs[media_id] = bytes(blob)

    def delete(self, media_id: str) -> None:
        self._blobs.pop(media_id, None)


class _FileWriter:
    def __init__(self, directory: Path, media_id: str) -> None:
        self._final = directory / media_id
        self._part = directory / (media_id + _PART)
        self._fd: int | None = os.open(self._part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)

    def write(self, chunk: bytes) -> None:
        assert self._fd is not None
        write_all(self._fd, chunk)

    def commit(self) -> None:
        assert self._fd is not None
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        os.replace(self._part, self._final)
        fsync_directory(self._final.parent)

    def abort(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        with contextlib.suppress(FileNotFoundError):
            self._part.unlink()


class FileBlobs:
    """One file per blob in ``directory``, durable before an upload is answered."""

    blocking = True
    """Its I/O runs in a thread, off the event loop."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(directory, DIR_MODE)
        for part in directory.glob("*" + _PART):  # uploads a crash interrupted: never answered
            part.unlink()

    def sizes(self) -> Iterator[int]:
        return (path.stat().st_size for path in self.directory.iterdir() if _ID.match(path.name))

    def writer(self, media_id: str) -> BlobWriter:
        return _FileWriter(self.directory, media_id)

    def size(self, media_id: str) -> int | None:
        try:
            return (self.directory / media_id).stat().st_size
        except FileNotFoundError:
            return None

    def open(self, media_id: str) -> BinaryIO:
        return (self.directory / media_id).open("rb")

    def flip(self, media_id: str, offset: int) -> None:
        with (self.directory / media_id).open("r+b") as blob:
            blob.seek(offset)
            byte = blob.read(1)
            blob.seek(offset)
            blob.write(bytes([byte[0] ^ 0x01]))
            blob.flush()
            os.fsync(blob.fileno())

    def delete(self, media_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.directory / media_id).unlink()


Blobs = MemoryBlobs | FileBlobs


class MediaStore:
    """The store both the HTTP routes and the phones use (see the module docstring)."""

    def __init__(
        self, blobs: Blobs | None = None, *, max_total: int = DEFAULT_MAX_TOTAL, max_blob: int = MAX_BLOB_BYTES
    ) -> None:
        self.blobs: Blobs = blobs if blobs is not None else MemoryBlobs()
        self.max_blob = max_blob
        self.quota = Quota(max_total, sum(self.blobs.sizes()))

    async def _io(self, call: Callable[..., T], *args: object) -> T:
        if self.blobs.blocking:
            return await asyncio.to_thread(call, *args)
        return call(*args)

    # -- writing -------------------------------------------------------------
    async def receive(self, chunks: AsyncIterable[bytes], declared_length: int | None = None) -> str:
        """Store the blob ``chunks`` yield; its id once it is durable. With
        ``declared_length`` (a Content-Length) an upload that is too large, or larger
        than the space left, fails before any byte is read."""
        if declared_length is not None and declared_length > self.max_blob:
            raise media_too_large(self.max_blob)
        taken = 0
        if declared_length:
            self.quota.take(declared_length)
            taken = declared_length
        media_id = new_media_id()
        received = 0
        writer: BlobWriter | None = None
        try:
            writer = await self._io(self.blobs.writer, media_id)
            async for chunk in chunks:
                received += len(chunk)
                if received > self.max_blob:
                    raise media_too_large(self.max_blob)
                if received > taken:
                    self.quota.take(received - taken)
                    taken = received
                await self._io(writer.write, chunk)
            if received == 0:
                raise bad_request("the body must be the encrypted file")
            await self._io(writer.commit)
        except BaseException:  # a failed, refused or abandoned upload leaves nothing behind
            if writer is not None:
                writer.abort()
            self.quota.give_back(taken)
            raise
        self.quota.give_back(taken - received)
        return media_id

    async def put(self, data: bytes) -> str:
        """Store one whole blob (a phone's upload)."""

        async def one() -> AsyncIterable[bytes]:
            yield data

        return await self.receive(one(), len(data))

    def delete(self, media_id: str) -> None:
        """Forget a blob nobody will be told about (a phone's send that failed after its upload)."""
        size = self.blobs.size(media_id)
        if size is not None:
            self.blobs.delete(media_id)
            self.quota.give_back(size)

    # -- reading -------------------------------------------------------------
    def size(self, media_id: str) -> int:
        """The blob's length; 404 ``media_not_found`` for an unknown or malformed id."""
        size = self.blobs.size(media_id) if _ID.match(media_id) else None
        if size is None:
            raise media_not_found()
        return size

    async def stream(self, media_id: str) -> AsyncIterable[bytes]:
        """The blob in chunks (check it exists with :meth:`size` first)."""
        blob = await self._io(self.blobs.open, media_id)
        try:
            while chunk := await self._io(blob.read, READ_CHUNK):
                yield chunk
        finally:
            blob.close()

    def read(self, media_id: str) -> bytes:
        """The whole blob, in the caller's thread (a phone's download: in-process)."""
        self.size(media_id)
        with self.blobs.open(media_id) as blob:
            return blob.read()

    # -- the test hook ---------------------------------------------------------
    async def corrupt(self, media_id: str) -> int:
        """Flip one bit of the blob's middle byte (its MAC will not verify); the offset."""
        offset = self.size(media_id) // 2
        await self._io(self.blobs.flip, media_id, offset)
        return offset
