"""The Redis client options every process uses: Celery's broker connections and the
plain clients (kick flags, the connection status) alike.

Without them redis-py waits for ever on a Redis that stopped answering without closing
the connection (a failover, a paused VM, a firewall), and a thread that only meant to
ring a doorbell hangs with it.
"""

from __future__ import annotations

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


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, **SOCKET_OPTIONS)
