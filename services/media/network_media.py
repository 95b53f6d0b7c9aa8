"""The business's client of the network's media store (docs/sandbox.md, "Media store").

The store holds encrypted files only: the caller encrypts before :meth:`NetworkMedia.upload`
and checks and decrypts what :meth:`NetworkMedia.download` yields
(services/protocol/media.py). Both directions stream: neither holds a file whole.

Timeouts: ``connect`` at most ``CONNECT_TIMEOUT`` (never more than ``timeout``), and
``timeout`` for each socket read or write (a stalled transfer, not a long one).

Errors: :class:`MediaNotFound` for an id the store does not know (404; retrying will not
help); :class:`MediaTransferError` for everything else (unreachable, timeout, 5xx, a
download over ``max_bytes``, a short body); its ``retryable`` is False when the store
refused the request (another 4xx: bad token, too large), so retrying would not help.
Messages name the operation and the status, never the token or the media id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import requests

MEDIA_PATH = "/network/v1/media"
CONTENT_TYPE = "application/octet-stream"
CONNECT_TIMEOUT = 5.0
DOWNLOAD_CHUNK = 64 * 1024


class MediaNotFound(Exception):
    """The store does not hold this id (404)."""


class MediaTransferError(Exception):
    """The transfer failed; ``status`` is the HTTP status when there was an answer."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class _SizedBody:
    """An iterable body of a known length, so requests sends a Content-Length (not
    chunked) and streams it; it refuses to send more or fewer bytes than announced."""

    def __init__(self, chunks: Iterable[bytes], length: int) -> None:
        self._chunks = chunks
        self._length = length

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self._chunks:
            if not chunk:
                continue
            sent += len(chunk)
            if sent > self._length:
                raise _BodyLengthError(f"the chunks hold more than the {self._length} bytes announced")
            yield bytes(chunk)
        if sent != self._length:
            raise _BodyLengthError(f"the chunks hold {sent} bytes, {self._length} announced")


class _BodyLengthError(ValueError):
    """A caller's bug (the chunks do not hold ``length`` bytes): raised as is."""


class MediaDownload(Iterator[bytes]):
    """The blob's bytes as they arrive; at most ``max_bytes``. Closes its connection at
    the end, on an error, or on :meth:`close` (``with`` works too)."""

    def __init__(self, response: requests.Response, max_bytes: int) -> None:
        self._response = response
        self._max_bytes = max_bytes
        self._received = 0
        self.length = _content_length(response)
        """The length the store announced (None when it did not)."""
        self._chunks = response.iter_content(DOWNLOAD_CHUNK)
        self._closed = False

    def __next__(self) -> bytes:
        if self._closed:
            raise StopIteration
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self.close()
            if self.length is not None and self._received != self.length:
                raise MediaTransferError(
                    f"GET media: {self._received} bytes of {self.length} received"
                ) from None
            raise
        except (requests.RequestException, OSError) as error:
            self.close()
            raise MediaTransferError(f"GET media: {error.__class__.__name__}") from None
        self._received += len(chunk)
        if self._received > self._max_bytes:
            self.close()
            raise MediaTransferError(f"GET media: more than the {self._max_bytes} bytes allowed", retryable=False)
        return chunk

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._response.close()

    def __enter__(self) -> MediaDownload:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _content_length(response: requests.Response) -> int | None:
    try:
        length = int(response.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return length if length >= 0 else None


class NetworkMedia:
    def __init__(self, base_url: str, token: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeouts = (min(CONNECT_TIMEOUT, timeout), timeout)
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self._http.close()

    def upload(self, chunks: Iterable[bytes], length: int) -> str:
        """Stream ``length`` bytes of an encrypted file to the store; its id there, once
        the store holds the file durably. ValueError when ``chunks`` do not hold exactly
        ``length`` bytes (nothing is stored then)."""
        if length <= 0:
            raise ValueError("an encrypted media file is never empty")
        try:
            response = self._http.post(
                self.base_url + MEDIA_PATH,
                data=_SizedBody(chunks, length),
                headers={"Content-Type": CONTENT_TYPE},
                timeout=self._timeouts,
            )
        except _BodyLengthError:
            raise
        except (requests.RequestException, OSError) as error:
            if isinstance(error.__context__, _BodyLengthError):
                raise error.__context__ from None
            raise MediaTransferError(f"POST media: {error.__class__.__name__}") from None
        with response:
            _raise_for_status("POST media", response)
            try:
                media_id = response.json()["id"]
            except (ValueError, KeyError, TypeError):
                media_id = None
        if not isinstance(media_id, str) or not media_id:
            raise MediaTransferError("POST media: malformed answer", response.status_code)
        return media_id

    def download(self, media_id: str, max_bytes: int) -> MediaDownload:
        """The encrypted file, streamed. The request is made now: an unknown id raises
        :class:`MediaNotFound` here, not on the first chunk; so does a store announcing
        more than ``max_bytes``."""
        if not media_id or "/" in media_id:
            raise MediaNotFound("not a media id")
        try:
            response = self._http.get(f"{self.base_url}{MEDIA_PATH}/{media_id}", stream=True, timeout=self._timeouts)
        except (requests.RequestException, OSError) as error:
            raise MediaTransferError(f"GET media: {error.__class__.__name__}") from None
        try:
            _raise_for_status("GET media", response)
            length = _content_length(response)
            if length is not None and length > max_bytes:
                raise MediaTransferError(f"GET media: {length} bytes, at most {max_bytes} allowed", retryable=False)
        except BaseException:
            response.close()
            raise
        return MediaDownload(response, max_bytes)


def _raise_for_status(operation: str, response: requests.Response) -> None:
    status = response.status_code
    if status in (200, 201):
        return
    if status == 404:
        raise MediaNotFound(f"{operation}: not found")
    code = ""
    if status < 500:
        try:
            code = str(response.json().get("error", ""))
        except (ValueError, AttributeError):
            code = ""
    raise MediaTransferError(
        f"{operation}: HTTP {status} {code}".rstrip(), status, retryable=status >= 500 or status in (408, 429)
    )
