"""One HTTP POST of one callback to the webhook, reduced to an ``Outcome``.

Nothing here logs or returns the payload, the URL or exception text: the URL may carry
credentials and requests' messages quote it, so errors are reported by class name only.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from services.webhook_dispatcher.retry_policy import is_success

USER_AGENT = "WhatsAppBusinessAPI-Dispatcher/1"
# Enough connections for the largest max_concurrent_requests (24) plus the sweep.
POOL_SIZE = 32
# Answers are ignored, but reading a bounded amount lets the connection be reused.
DRAIN_LIMIT = 64 * 1024

_session: requests.Session | None = None
_session_lock = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None


class _NoCookies(DefaultCookiePolicy):
    # The session is shared by every worker thread; a webhook must not be able to
    # make one callback's request carry state set by another.
    def set_ok(self, cookie, request) -> bool:  # noqa: ANN001 (stdlib signature)
        return False


def _new_session() -> requests.Session:
    session = requests.Session()
    session.cookies.set_policy(_NoCookies())
    # max_retries=0: a retry is a new attempt with its own backoff, decided by the task.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def shared_session() -> requests.Session:
    """The process-wide session, so keep-alive connections are reused across callbacks."""
    global _session
    with _session_lock:
        if _session is None:
            _session = _new_session()
        return _session


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def headers_for(callback_id: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Request-Id": callback_id,
    }


def _drain(response: requests.Response) -> None:
    # The status line already decided the outcome; a broken body must not change it.
    read = 0
    with contextlib.suppress(requests.RequestException, OSError):
        for chunk in response.iter_content(8192):
            read += len(chunk)
            if read >= DRAIN_LIMIT:
                break


def post_callback(
    url: str,
    payload: dict[str, Any],
    *,
    callback_id: str,
    timeout: float,
    session: requests.Session | None = None,
    verify: bool | str = True,
    cert: str | tuple[str, str] | None = None,
) -> Outcome:
    """``verify``/``cert``: requests' CA bundle and client certificate (webhook_tls.py)."""
    http = session or shared_session()
    try:
        # No redirects: requests would turn the POST into a GET, and only 200 counts anyway.
        with http.post(
            url,
            data=encode(payload),
            headers=headers_for(callback_id),
            timeout=timeout,
            allow_redirects=False,
            stream=True,
            verify=verify,
            cert=cert,
        ) as response:
            status = response.status_code
            _drain(response)
    except requests.Timeout:
        return Outcome(ok=False, error="timeout")
    except (requests.RequestException, ValueError, OSError) as error:
        # ValueError/OSError: malformed URLs and socket errors that requests lets through.
        return Outcome(ok=False, error=type(error).__name__)
    if is_success(status):
        return Outcome(ok=True, status=status)
    return Outcome(ok=False, status=status, error=f"HTTP {status}")
