"""Bad-login and user-change counts in Redis (rules: throttle_rules.py). Losing them only forgets
counts, so Redis, a doorbell-grade store, is enough.

An attempt is counted as a bad login *before* its password is checked
(:func:`reserve`) and taken back when it succeeds (:func:`release`): counting after the
check would let parallel attempts all read a count below the limit during the
~60 ms of argon2 and all be tried. One round trip before the check; a good login adds
one more. A user change is counted (:func:`count`) before it is made, for the same
reason."""

from __future__ import annotations

import redis

from services.users import throttle_rules as rules


def standing(client: redis.Redis, keys: rules.LoginKeys) -> rules.Standing:
    """The counts, without counting anything (an attempt without credentials)."""
    return rules.Standing.read(client.mget([*keys.counts, keys.known_address]))


def reserve(client: redis.Redis, keys: rules.LoginKeys) -> rules.Standing:
    """Count this attempt as a bad login; the standing before it."""
    pipe = client.pipeline(transaction=False)
    for key, limit in zip(keys.counts, rules.LIMITS, strict=True):
        _count_in(pipe, key, limit)
    pipe.get(keys.known_address)
    *counted, known = pipe.execute()
    return rules.Standing.before_reserved([int(count) for count in counted[0::2]], known)


def count(client: redis.Redis, key: str, limit: rules.Limit) -> int:
    """Count one attempt in ``key``'s window; the attempts in it, this one included."""
    pipe = client.pipeline(transaction=False)
    _count_in(pipe, key, limit)
    counted, _ = pipe.execute()
    return int(counted)


def seconds_left(client: redis.Redis, key: str, limit: rules.Limit) -> int:
    """When the window of the count at ``key`` ends (``Retry-After``)."""
    return rules.retry_after_seconds(int(client.ttl(key)), limit)


def _count_in(pipe: redis.client.Pipeline, key: str, limit: rules.Limit) -> None:
    pipe.incr(key)
    pipe.expire(key, limit.window_seconds, nx=True)  # the window starts at its first count


def release(client: redis.Redis, keys: rules.LoginKeys, *, logged_in_before: rules.Standing | None) -> None:
    """Not a bad login after all: the attempt succeeded (``logged_in_before``: its
    standing, and the address is marked as one the account logs in from, renewed once
    a window), or the server failed before the password was judged (None)."""
    pipe = client.pipeline(transaction=False)
    for key in keys.counts:
        pipe.decr(key)
    if logged_in_before is not None and not logged_in_before.known_address:
        pipe.set(keys.known_address, 1, ex=rules.KNOWN_ADDRESS_SECONDS)
    pipe.execute()
