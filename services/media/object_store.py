"""The media object store, through the ``minio`` client.

SeaweedFS in development and MinIO in production speak the same S3 subset
(../shared/spec/local-infra.md §8.4), so only the endpoint and credentials change.

Every call is bounded (``StoreTimeouts``: urllib3's connect and read timeouts and a
small retry budget), and a store that cannot be reached, or answers with a server
error, raises :class:`StoreUnavailable`, which the gateway answers 503/1016.
Files are streamed in both directions: an upload holds one part (``PART_SIZE``) in
memory at a time, a download one chunk.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Protocol, cast

import certifi
import urllib3
from minio import Minio
from minio.error import MinioException, S3Error, ServerError
from urllib3.util import Retry, Timeout

from services.common.config import Config

PART_SIZE = 5 * 1024 * 1024
"""S3's smallest multipart part: a larger upload is sent in parts of this size, one at a
time, so an upload never holds more of the file than this (plus minio's copy of it)."""

DOWNLOAD_CHUNK = 64 * 1024

_SERVER_ERROR_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"})


@dataclass(frozen=True)
class StoreTimeouts:
    """How long one client waits for the store (seconds), and how often it retries."""

    connect_s: float
    read_s: float  # per socket read: a stalled store, not a large file
    retries: int

    def pool(self) -> urllib3.PoolManager:
        return urllib3.PoolManager(
            timeout=Timeout(connect=self.connect_s, read=self.read_s),
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            retries=Retry(total=self.retries, read=0, backoff_factor=0.1,
                          status_forcelist=(500, 502, 503, 504)),
        )


REQUEST_TIMEOUTS = StoreTimeouts(connect_s=1.0, read_s=10.0, retries=1)
"""The gateway: a store that is down answers within about 2 s (connection refused or
the 1 s connect timeout, once retried); one that accepts and stalls within 10 s. The
read timeout is per socket read, so it bounds a stall, not the length of a transfer."""

SERVICE_TIMEOUTS = StoreTimeouts(connect_s=5.0, read_s=60.0, retries=5)
"""Workers (the media service): they wait out a short restart rather than fail."""


class Readable(Protocol):
    """What an upload is read from: a file, a request body, a ``MeasuredReader``."""

    def read(self, size: int = -1, /) -> bytes: ...  # all that minio's put_object calls


class StoreUnavailable(Exception):
    """The object store could not be reached or answered with a server error; the
    message is the error's class only (urllib3's name the endpoint)."""


@contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except S3Error as error:
        if error.code in _SERVER_ERROR_CODES or (error.response is not None and error.response.status >= 500):
            raise StoreUnavailable(f"S3 {error.code}") from None
        raise
    except (urllib3.exceptions.HTTPError, ServerError, MinioException) as error:
        raise StoreUnavailable(error.__class__.__name__) from None


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str


class ObjectReader:
    """An open object: its size and type, and its bytes chunk by chunk. Close it."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response
        self.size = int(response.headers.get("Content-Length", "0"))
        self.content_type = response.headers.get("Content-Type", "")

    def chunks(self, size: int = DOWNLOAD_CHUNK) -> Iterator[bytes]:
        with _reachable():
            yield from self._response.stream(size)

    def close(self) -> None:
        self._response.close()
        self._response.release_conn()


class ObjectStore:
    def __init__(self, client: Minio, bucket: str) -> None:
        self._client = client
        self.bucket = bucket
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Config, timeouts: StoreTimeouts = SERVICE_TIMEOUTS) -> ObjectStore:
        client = Minio(
            config.s3_endpoint, config.s3_access_key, config.s3_secret_key, secure=config.s3_secure,
            http_client=timeouts.pool(),
        )
        return cls(client, config.s3_bucket)

    def ensure_bucket(self) -> None:
        with _reachable():
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as error:
                    # Another process created it between the check and the call.
                    if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
        self._bucket_ready = True

    def _bucket_once(self) -> None:
        """The bucket exists before this process's first write (the media service makes
        it at start; the gateway may get there first)."""
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if not self._bucket_ready:
                self.ensure_bucket()

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.put_stream(key, io.BytesIO(data), content_type, len(data))

    def put_stream(self, key: str, stream: Readable, content_type: str, length: int | None = None) -> None:
        """Store what ``stream`` yields under ``key``, one part at a time.

        ``length``: the bytes ``stream`` will give, or None when unknown (read to its end).
        Whatever ``stream.read`` raises is raised as it is, after minio aborted the
        multipart upload it had begun: nothing is left under ``key`` then.
        """
        self._bucket_once()
        with _reachable():
            self._client.put_object(
                self.bucket, key, cast(BinaryIO, stream), -1 if length is None else length,
                content_type=content_type, part_size=PART_SIZE,
                # One part at a time: parallel parts would each hold PART_SIZE in memory.
                num_parallel_uploads=1,
            )

    def get(self, key: str) -> StoredObject | None:
        reader = self.open(key)
        if reader is None:
            return None
        try:
            return StoredObject(b"".join(reader.chunks()), reader.content_type)
        finally:
            reader.close()

    def open(self, key: str) -> ObjectReader | None:
        """The object under ``key``, open for reading, or None when there is none."""
        with _reachable():
            try:
                return ObjectReader(self._client.get_object(self.bucket, key))
            except S3Error as error:
                if error.code in ("NoSuchKey", "NoSuchBucket"):
                    return None
                raise

    def delete(self, key: str) -> None:
        """Removes ``key``; a key that is not there is no error (S3's own rule)."""
        with _reachable():
            self._client.remove_object(self.bucket, key)
