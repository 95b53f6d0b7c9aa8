"""Bad-login counts in Redis (rules: throttle_rules.py). Losing them only forgets
counts, so Redis, a doorbell-grade store, is enough. A login costs one round trip (an
MGET of its counts); a bad one adds one pipelined write, a first good one from an
address one more."""

from __future__ import annotations

import redis

from services.users import throttle_rules as rules


def standing(client: redis.Redis, keys: rules.LoginKeys) -> rules.Standing:
    return rules.Standing.read(client.mget([*keys.counts, keys.known_address]))


def record_failure(client: redis.Redis, keys: rules.LoginKeys) -> None:
    pipe = client.pipeline(transaction=False)
    for key, limit in zip(keys.counts, rules.LIMITS, strict=True):
        pipe.incr(key)
        pipe.expire(key, limit.window_seconds, nx=True)  # the window starts at its first failure
    pipe.execute()


def record_success(client: redis.Redis, keys: rules.LoginKeys, before: rules.Standing) -> None:
    """Mark the address as one the account logs in from (renewed once a window)."""
    if not before.known_address:
        client.set(keys.known_address, 1, ex=rules.KNOWN_ADDRESS_SECONDS)
