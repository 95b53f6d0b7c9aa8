"""One HTTP POST of one callback to the webhook, reduced to an ``Outcome``.

Nothing here logs or returns the payload, the URL or exception text: the URL may carry
credentials and requests' messages quote it, so errors are reported by class name only.

Every connection obeys the egress policy (services/common/egress_http.py, with the
operator's ``WA_EGRESS_ALLOW`` given to :func:`configure` at start): a webhook whose host
resolves to a refused address (loopback, private, …) is never connected to, and the
attempt fails as "egress refused", retried with backoff like any other. ``timeout`` is the
total of an attempt, enforced at the socket (connect, send, every read), not a per-read one.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from typing import Any

import requests

from services.common.egress_http import EgressRefused, egress_session
from services.common.egress_rules import EgressAllow
from services.webhook_dispatcher.retry_policy import is_success

USER_AGENT = "WhatsAppBusinessAPI-Dispatcher/1"
# Enough connections for the largest max_concurrent_requests (24) plus the sweep.
POOL_SIZE = 32
# Answers are ignored, but reading a bounded amount lets the connection be reused.
DRAIN_LIMIT = 64 * 1024

EGRESS_REFUSED = "egress refused"
"""The error of an attempt the egress policy refused (nothing was connected)."""

_session: requests.Session | None = None
_session_lock = threading.Lock()
_egress_allow = EgressAllow()
_ca_bundle: str | None = None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None


def configure(egress_allow: EgressAllow, ca_bundle: str | None = None) -> None:
    """The operator's egress exceptions (``WA_EGRESS_ALLOW``) and CA bundle
    (``Config.tls_ca_bundle``), before the first callback."""
    global _egress_allow, _ca_bundle, _session
    with _session_lock:
        _egress_allow, _ca_bundle, _session = egress_allow, ca_bundle, None


def _new_session() -> requests.Session:
    # Keeps no cookies (it is shared by every worker thread: a webhook must not be able to
    # make one callback's request carry state set by another), uses no proxy, no retries
    # (a retry is a new attempt with its own backoff, decided by the task); ``timeout``
    # is each request's total.
    return egress_session(_egress_allow, total_timeout=True, pool_connections=4, pool_maxsize=POOL_SIZE,
                          ca_bundle=_ca_bundle)


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
    except EgressRefused:
        return Outcome(ok=False, error=EGRESS_REFUSED)
    except requests.Timeout:
        return Outcome(ok=False, error="timeout")
    except (requests.RequestException, ValueError, OSError) as error:
        # ValueError/OSError: malformed URLs and socket errors that requests lets through.
        return Outcome(ok=False, error=type(error).__name__)
    if is_success(status):
        return Outcome(ok=True, status=status)
    return Outcome(ok=False, status=status, error=f"HTTP {status}")
