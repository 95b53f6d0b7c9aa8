"""The Redis client options every process uses: Celery's broker connections and the
plain clients (kick flags, the connection status) alike.

Without them redis-py waits for ever on a Redis that stopped answering without closing
the connection (a failover, a paused VM, a firewall), and a thread that only meant to
ring a doorbell hangs with it.
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import redis

SOCKET_TIMEOUT = 5.0
CONNECT_TIMEOUT = 2.0
HEALTH_CHECK_INTERVAL = 10
"""Seconds; a connection idle for longer is checked (PING) before it is used again, so
the first command after a Redis restart does not fail on a dead socket."""

SOCKET_OPTIONS = {
    "socket_timeout": SOCKET_TIMEOUT,
    "socket_connect_timeout": CONNECT_TIMEOUT,
    "socket_keepalive": True,
    "retry_on_timeout": True,
    "health_check_interval": HEALTH_CHECK_INTERVAL,
}
"""redis-py keyword arguments; kombu's Redis transport takes the same names."""


TLS_FILE_OPTIONS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")
CERT_REQS = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}


def tls_options(url: str) -> dict[str, Any] | None:
    """The TLS options of a ``rediss://`` URL (None for ``redis://``), as Celery wants them
    spelled out for its broker and result backend (``broker_use_ssl``,
    ``redis_backend_use_ssl``): Celery refuses a ``rediss://`` URL without them, and its
    broker does not read them from the query. The server's certificate is verified unless
    the URL's ``ssl_cert_reqs`` says otherwise; redis-py itself reads the same query."""
    parts = urlsplit(url)
    if parts.scheme != "rediss":
        return None
    query = dict(parse_qsl(parts.query))
    options: dict[str, Any] = {name: query[name] for name in TLS_FILE_OPTIONS if name in query}
    wanted = query.get("ssl_cert_reqs", "required").lower().removeprefix("cert_")
    if wanted not in CERT_REQS:
        raise ValueError(f"ssl_cert_reqs of the Redis URL must be one of {sorted(CERT_REQS)}, got {wanted!r}")
    options["ssl_cert_reqs"] = CERT_REQS[wanted]
    return options


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, **SOCKET_OPTIONS)
