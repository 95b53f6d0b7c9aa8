"""Downloading the ``link`` of an outbound media message (spec §6.1), streamed into a
temporary file: the network's media store needs the encrypted length before the
first byte, and a link need not announce its length (chunked answers).

Every connection obeys the egress policy (services/common/egress_http.py): the host is
resolved once, an address the policy refuses (loopback, private, link-local, …, unless
``WA_EGRESS_ALLOW`` allows it) is never connected to, and the socket goes to the address
that was judged. Redirects are followed here, one request each (at most
``MAX_REDIRECTS``), so every hop is judged the same way and only http(s) is followed.

A media provider's credentials (``Authorization``) go with a request only when its
``hosts`` name that request's host, over https (or to a host ``WA_EGRESS_ALLOW`` names):
the link itself must be such a host, else the download fails before anything is sent; a
redirect elsewhere is followed **without** them. Stripping rather than refusing, because
a CDN commonly answers an authenticated request with a redirect to a pre-signed URL on
another host (an object store), which needs no credentials and must not get them.

Bounded everywhere: ``max_bytes`` (the kind's largest file, checked on the announced
``Content-Length`` before reading and on every chunk); at the socket, a connect timeout,
a per-read timeout, a total deadline (each read waits at most what remains of it) and a
minimum rate over a window, so that no peer holds a worker longer than the deadline.
The file lives on disk (``tempfile``), never whole in memory.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urljoin

import requests

from services.common import egress_rules
from services.common.egress_http import Budget, EgressRefused, egress_session, transfer
from services.common.egress_rules import ALLOW_VARIABLE, EgressAllow
from services.media.measured import TooLarge
from services.media.preparation_rules import DOWNLOAD_ERROR, PROVIDER_ERROR, PreparationFailed

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0  # per socket read: a stalled server, not a large file
DEADLINE_SECONDS = 600.0  # the whole download (100 MB at about 170 KB/s)
MIN_BYTES_PER_SECOND = 8 * 1024
RATE_WINDOW_SECONDS = 30.0
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "wa-onprem-media/1"


@dataclass(frozen=True)
class Limits:
    """A download's limits (services/common/config.py ``MediaConfig``)."""

    deadline_s: float = DEADLINE_SECONDS
    min_bytes_per_second: float = MIN_BYTES_PER_SECOND
    rate_window_s: float = RATE_WINDOW_SECONDS
    connect_timeout_s: float = CONNECT_TIMEOUT
    read_timeout_s: float = READ_TIMEOUT


@dataclass(frozen=True)
class Credentials:
    """A media provider's ``Authorization`` and where it may go."""

    provider: str
    authorization: str
    hosts: tuple[str, ...] | None


@dataclass
class Downloaded:
    file: BinaryIO
    """The body, positioned at its start; :meth:`close` deletes it."""
    length: int
    content_type: str | None

    def close(self) -> None:
        self.file.close()


def download(link: str, *, credentials: Credentials | None = None, max_bytes: int,
             allow: EgressAllow | None = None, limits: Limits | None = None,
             ca_bundle: str | None = None) -> Downloaded:
    """The link's body; ``TooLarge`` over ``max_bytes`` (announced or read);
    ``PreparationFailed`` when it cannot be had: code 400, retryable for a read timeout, a
    connection failure or a 5xx/429; not for a refused address or scheme, the deadline or
    the minimum rate; 1009 when the provider's credentials may not go to the link."""
    allow = allow or EgressAllow()
    limits = limits or Limits()
    if credentials is not None:
        refused = egress_rules.credentials_refusal(credentials.hosts, link, allow)
        if refused is not None:
            raise PreparationFailed(PROVIDER_ERROR, f"The media provider {credentials.provider} may not be used "
                                                    f"for this link: {refused}")
    budget = Budget.lasting(limits.deadline_s, min_rate=limits.min_bytes_per_second, window=limits.rate_window_s)
    with egress_session(allow, ca_bundle=ca_bundle) as session, transfer(budget):
        response = _follow(session, link, credentials, allow, limits, budget)
        with response:
            announced = _announced_length(response)
            if announced is not None and announced > max_bytes:
                raise TooLarge(max_bytes)
            spool = tempfile.TemporaryFile()
            try:
                length = _copy(response, spool, max_bytes, budget)
            except BaseException:
                spool.close()
                raise
            spool.seek(0)
            return Downloaded(spool, length, response.headers.get("Content-Type"))


def _follow(session: requests.Session, link: str, credentials: Credentials | None, allow: EgressAllow,
            limits: Limits, budget: Budget) -> requests.Response:
    """The answer of the last hop, a 200, its body not read yet."""
    url = link
    for hop in range(MAX_REDIRECTS + 1):
        what = "The media link" if hop == 0 else "The media link's redirect"
        refused = egress_rules.url_refusal(url, allow)
        if refused is not None:
            raise PreparationFailed(DOWNLOAD_ERROR, f"{what} was refused: {refused}")
        headers = {"User-Agent": USER_AGENT}
        if credentials is not None and egress_rules.credentials_refusal(credentials.hosts, url, allow) is None:
            headers["Authorization"] = credentials.authorization
        try:
            response = session.get(url, headers=headers, stream=True, allow_redirects=False,
                                   timeout=(limits.connect_timeout_s, limits.read_timeout_s))
        except EgressRefused as refusal:
            raise PreparationFailed(DOWNLOAD_ERROR, f"{what} was refused: {refusal.reason}, which the server does "
                                                    f"not connect to unless {ALLOW_VARIABLE} allows it") from None
        except (requests.RequestException, OSError) as error:
            raise _failed(error, budget) from None
        if response.status_code in _REDIRECTS and response.headers.get("Location"):
            url = urljoin(url, response.headers["Location"])
            response.close()
            continue
        if response.status_code != 200:
            response.close()
            raise PreparationFailed(DOWNLOAD_ERROR, f"The media link answered HTTP {response.status_code}",
                                    retryable=response.status_code in _RETRYABLE_STATUSES)
        return response
    raise PreparationFailed(DOWNLOAD_ERROR, "The media link redirects too often")


def _copy(response: requests.Response, spool: BinaryIO, max_bytes: int, budget: Budget) -> int:
    length = 0
    try:
        for chunk in response.iter_content(CHUNK):
            length += len(chunk)
            if length > max_bytes:
                raise TooLarge(max_bytes)
            spool.write(chunk)
    except (requests.RequestException, OSError) as error:
        raise _failed(error, budget) from None
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


def _failed(error: BaseException, budget: Budget) -> PreparationFailed:
    if budget.cut == "deadline":
        # Not tried again: the peer answered, too slowly, and would hold a worker as long again.
        return PreparationFailed(DOWNLOAD_ERROR, "The media link took longer to download than the "
                                                 f"{_seconds(budget)} a download may take")
    if budget.cut == "too slow":
        return PreparationFailed(DOWNLOAD_ERROR, "The media link downloaded slower than the "
                                                 f"{budget.min_rate:.0f} bytes per second a download must keep up")
    # The class name only: requests' messages quote the link.
    return PreparationFailed(DOWNLOAD_ERROR, f"The media link could not be downloaded ({error.__class__.__name__})",
                             retryable=True)


def _seconds(budget: Budget) -> str:
    return f"{budget.total or 0.0:g} s"
