"""Telling failures that retrying fixes from failures that it never will.

A transient failure (MongoDB, Redis or the network unreachable) stops a drain so that
the work is retried as it stands, in order. Any other failure belongs to one item
(a corrupt envelope, a bug that one message triggers): that item is set aside and the
shard goes on, so one bad item cannot block every contact behind it. A lost lease
stops a drain like a transient failure.
"""

from __future__ import annotations

from pymongo.errors import PyMongoError
from redis.exceptions import RedisError

from services.core_worker.network_client import NetworkError


class LeaseLost(Exception):
    """The drain's shard lease may no longer be this node's (services/core_worker/leases.py):
    the drain stops where it is, without writing, and the shard's new owner goes on."""


TRANSIENT = (PyMongoError, RedisError, NetworkError, ConnectionError, TimeoutError, LeaseLost)


def is_transient(error: BaseException) -> bool:
    return isinstance(error, TRANSIENT)
