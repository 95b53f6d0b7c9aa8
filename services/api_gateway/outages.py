"""Which failures mean "a server the gateway needs is unreachable right now" (pure).

Those are answered 503 with error 1016 and ``Retry-After`` (docs/compatibility.md
"Outages"): the request changed nothing, or only what a retry completes, and the same
request sent again shortly will succeed. Any other database or broker error stays a
500: retrying would not help.
"""

from __future__ import annotations

import redis
from kombu.exceptions import OperationalError as KombuOperationalError
from pymongo.errors import ConnectionFailure, PyMongoError

from services.common.errors import ApiError

RETRYABLE_WRITE = "RetryableWriteError"
RETRY_AFTER_SECONDS = 1
"""The gateway is back within 2 s of MongoDB or Redis (docs/design.md "Timeouts")."""

DATABASE_UNREACHABLE = "The database is unreachable: retry later"
BROKER_UNREACHABLE = "The message broker is unreachable: retry later"

BROKER_ERRORS: tuple[type[Exception], ...] = (
    redis.ConnectionError,  # refused, reset, a restart's dead pooled socket, still loading its data
    redis.TimeoutError,  # up but not answering within the socket timeout
    KombuOperationalError,  # the same, raised through Celery's producer
)
"""What an unreachable Redis raises through redis-py, kombu or Celery."""


def broker_unreachable(error: BaseException) -> bool:
    """``error`` is, or was raised because of, an unreachable Redis: Celery's result
    backend, for one, gives up reconnecting with a bare ``RuntimeError`` from it."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, BROKER_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def database_unreachable(error: PyMongoError) -> bool:
    """No server to talk to (down, failing over, not answering), or out of time, or a
    primary that stepped down during the write (MongoDB labels such an error retryable:
    the same write sent again completes, and an election is what it waits for)."""
    return isinstance(error, ConnectionFailure) or error.timeout or error.has_error_label(RETRYABLE_WRITE)


def unavailable(details: str) -> ApiError:
    return ApiError(1016, details)


def retry_after_headers() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}
