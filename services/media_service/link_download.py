"""Downloading the ``link`` of an outbound media message (spec §6.1), streamed into a
temporary file: the network's media store needs the encrypted length before the
first byte, and a link need not announce its length (chunked answers).

Bounded everywhere: ``max_bytes`` (the kind's largest file, checked on the announced
``Content-Length`` before reading and on every chunk), a connect and a per-read timeout,
an overall deadline, at most ``MAX_REDIRECTS`` redirects (requests drops the
``Authorization`` header on a redirect to another host). The file lives on disk
(``tempfile``), never whole in memory.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from typing import BinaryIO

import requests

from services.media.measured import TooLarge
from services.media.preparation_rules import DOWNLOAD_ERROR, PreparationFailed

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0  # per socket read: a stalled server, not a large file
DEADLINE_SECONDS = 600.0  # the whole download (100 MB at about 170 KB/s)
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
_RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "wa-onprem-media/1"


@dataclass
class Downloaded:
    file: BinaryIO
    """The body, positioned at its start; :meth:`close` deletes it."""
    length: int
    content_type: str | None

    def close(self) -> None:
        self.file.close()


def download(link: str, *, authorization: str | None, max_bytes: int,
             deadline_s: float = DEADLINE_SECONDS) -> Downloaded:
    """The link's body; ``TooLarge`` over ``max_bytes`` (announced or read);
    ``PreparationFailed`` (code 400, retryable for a timeout, a connection failure or a
    5xx/429) when it cannot be had."""
    headers = {"User-Agent": USER_AGENT}
    if authorization:
        headers["Authorization"] = authorization
    started = time.monotonic()
    with requests.Session() as session:
        session.max_redirects = MAX_REDIRECTS
        try:
            response = session.get(link, headers=headers, stream=True, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        except requests.TooManyRedirects:
            raise PreparationFailed(DOWNLOAD_ERROR, "The media link redirects too often") from None
        except (requests.RequestException, OSError) as error:
            raise _unreachable(error) from None
        with response:
            if response.status_code != 200:
                raise PreparationFailed(DOWNLOAD_ERROR, f"The media link answered HTTP {response.status_code}",
                                        retryable=response.status_code in _RETRYABLE_STATUSES)
            announced = _announced_length(response)
            if announced is not None and announced > max_bytes:
                raise TooLarge(max_bytes)
            spool = tempfile.TemporaryFile()
            try:
                length = _copy(response, spool, max_bytes, started, deadline_s)
            except BaseException:
                spool.close()
                raise
            spool.seek(0)
            return Downloaded(spool, length, response.headers.get("Content-Type"))


def _copy(response: requests.Response, spool: BinaryIO, max_bytes: int, started: float, deadline_s: float) -> int:
    length = 0
    try:
        for chunk in response.iter_content(CHUNK):
            length += len(chunk)
            if length > max_bytes:
                raise TooLarge(max_bytes)
            spool.write(chunk)
            if time.monotonic() - started > deadline_s:
                raise PreparationFailed(DOWNLOAD_ERROR, "The media link took too long to download", retryable=True)
    except (requests.RequestException, OSError) as error:
        raise _unreachable(error) from None
    announced = _announced_length(response)
    if announced is not None and length < announced:
        raise PreparationFailed(DOWNLOAD_ERROR, "The media link's answer ended early", retryable=True)
    return length


def _announced_length(response: requests.Response) -> int | None:
    if response.headers.get("Content-Encoding"):
        return None  # the announced length is the compressed one
    try:
        length = int(response.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return length if length >= 0 else None


def _unreachable(error: BaseException) -> PreparationFailed:
    # The class name only: requests' messages quote the link.
    return PreparationFailed(DOWNLOAD_ERROR, f"The media link could not be downloaded ({error.__class__.__name__})",
                             retryable=True)
