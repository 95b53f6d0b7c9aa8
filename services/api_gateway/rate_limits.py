"""Request-rate limits (spec §17.1: 429/1015 with ``Retry-After``), checked before each
request by a ``before_request`` hook keyed on the endpoint (docs/design.md
"Request-rate limits and load shedding").

One bucket per limited class (``rate_limit_rules``) for the whole gateway cluster, kept
in Redis so that every worker and host draws from it: one script call per request of
a limited class, none for a class whose limit is 0. Only authenticated requests draw
from the class's bucket; the others (no token, a bad one, a login) draw from a bucket
of their client address (``rate_limit_rules.bucket_key``), so that anonymous traffic
cannot lock the authenticated clients out. Telling them apart is the token lookup the
guard needs anyway, done here once and kept for it (``auth.resolve``).

When Redis does not answer the limit fails open (the request goes on) and the limiter
is skipped for a second, so that requests do not each wait out a socket timeout for a
check that is not the point of the request; its own client waits a quarter of the gateway's timeouts for the same
reason (the script takes microseconds).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis
from flask import Flask, Response, current_app, request

from services.api_gateway import auth, live_settings
from services.api_gateway.envelope import error_response
from services.api_gateway.rate_limit_rules import (
    Bucket,
    bucket_key,
    bucket_of,
    limited_class,
    retry_after_seconds,
)
from services.api_gateway.state import GatewayState, connect_redis
from services.common.errors import ApiError

log = logging.getLogger(__name__)

EXTENSION = "wa_rate_limits"
KEY_PREFIX = "gateway:rate_limit:"
FAIL_OPEN_SECONDS = 1.0
LIMITER_TIMEOUT_SECONDS = 0.2

# rate_limit_rules.admit in Lua, line by line (tests/integration/gateway/test_rate_limits.py
# checks that both agree). ARGV[3] = 0: now is Redis's clock, the one every gateway
# host shares. Numbers are written with %.0f: Lua's default formatting would round
# microseconds since 1970 to 14 digits.
_ADMIT = """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == 0 then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
end
local start = tonumber(redis.call('GET', KEYS[1]) or '0')
if start < now then start = now end
local tat = start + interval
local ahead = tat - now
if ahead > tolerance then return ahead - tolerance end
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil(ahead / 1000) + 1)
return 0
"""


class RateLimiter:
    def __init__(self, client: redis.Redis, clock: Callable[[], float] = time.monotonic) -> None:
        self._admit = client.register_script(_ADMIT)
        self._clock = clock
        self._skip_until = 0.0

    def retry_after_us(self, key: str, bucket: Bucket, now_us: int = 0) -> int:
        """0 when a request drawing from bucket ``key`` passes now (and is counted), else
        how long until one would. ``now_us``: a clock of the caller's, for tests only."""
        if self._clock() < self._skip_until:
            return 0
        try:
            return int(self._admit(keys=[KEY_PREFIX + key], args=[bucket.interval_us, bucket.tolerance_us, now_us]))
        except redis.RedisError as error:
            # Unreachable, or refusing writes (a replica, out of memory): the limits are
            # not worth a 500. The class only: redis-py's messages name the host.
            log.warning("Redis unreachable or failing: request-rate limits not enforced for %g s (%s)",
                        FAIL_OPEN_SECONDS, error.__class__.__name__)
            self._skip_until = self._clock() + FAIL_OPEN_SECONDS
            return 0


def install(app: Flask, gateway: GatewayState) -> None:
    live_settings.install(app, gateway.db)
    app.extensions[EXTENSION] = RateLimiter(connect_redis(gateway.config.redis_url, LIMITER_TIMEOUT_SECONDS))
    app.before_request(limit_request_rate)


def limit_request_rate() -> Response | None:
    limited = limited_class(request.endpoint)
    bucket = bucket_of(live_settings.current(), limited) if limited is not None else None
    if limited is None or bucket is None:
        return None
    anonymous_address = None if auth.authenticated_caller() is not None else auth.request_address()
    wait_us = current_app.extensions[EXTENSION].retry_after_us(bucket_key(limited, anonymous_address), bucket)
    if not wait_us:
        return None
    seconds = retry_after_seconds(wait_us)
    whose = "" if anonymous_address is None else " from this address without a valid token"
    error = ApiError(1015, f"More than {bucket.rate} requests/s to the {limited} API{whose}: "
                           f"retry after {seconds} s")
    return error_response(error, headers={"Retry-After": str(seconds)})
