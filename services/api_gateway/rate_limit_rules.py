"""Request-rate limits (spec §17.1; docs/design.md "Request-rate limits and load
shedding"): which limit a request counts against, and the bucket rule. Pure.

The bucket is the generic cell rate algorithm, which is a token bucket kept as one
number: the *theoretical arrival time* (``tat``) at which the bucket would be full
again. A request moves it one ``interval`` (1 / rate) later; it is refused when that
would put it more than ``burst`` intervals ahead of now. So ``burst`` requests pass at
once from a full bucket and ``rate`` a second after that, exactly as a bucket of
``burst`` tokens refilled ``rate`` times a second. Times are whole microseconds so
that the Redis script (``rate_limits.py``), which mirrors :func:`admit` line by line
in Lua, computes the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.users.throttle_rules import address_bucket

MICROS = 1_000_000

BURST_PER_RATE = 3
"""The original's bursts are three seconds' worth: 50/s bursts to 150, 20/s to 60."""

MESSAGING, CONTACTS, CONTROL, HEALTHCHECK = "messaging", "contacts", "control", "healthcheck"
LIMITED_CLASSES = (MESSAGING, CONTACTS, CONTROL, HEALTHCHECK)

_CLASS_OF_BLUEPRINT = {
    "messages": MESSAGING,  # sends and marking messages read
    "contacts": CONTACTS,
    "health": HEALTHCHECK,
    "stats": HEALTHCHECK,  # /v1/stats/app, /v1/stats/db, /metrics
}


def bucket_key(limited: str, anonymous_address: str | None) -> str:
    """The bucket a request draws from: the class's, shared by every authenticated
    caller, or for a request that is not authenticated (no token, a bad one, a login)
    its address's own bucket of the class, so that anonymous clients never spend the
    authenticated ones' budget (an IPv6 address counts as its /64, as for logins)."""
    if anonymous_address is None:
        return limited
    return f"{limited}:address:{address_bucket(anonymous_address)}"


def setting_name(limited_class: str) -> str:
    """The application setting that holds the class's rate: ``<class>_api_rate_limit``."""
    return f"{limited_class}_api_rate_limit"


def limited_class(endpoint: str | None) -> str | None:
    """The limit a request to Flask ``endpoint`` (``blueprint.view``) counts against:
    every route of the API has one, the control class being all that is not messaging,
    contacts or health; an unknown path (no endpoint) counts against none."""
    if endpoint is None or "." not in endpoint:
        return None
    blueprint = endpoint.partition(".")[0]
    return _CLASS_OF_BLUEPRINT.get(blueprint, CONTROL)


@dataclass(frozen=True)
class Bucket:
    rate: int  # requests a second, sustained
    burst: int  # requests at once from a full bucket

    @classmethod
    def from_setting(cls, rate: int) -> Bucket | None:
        """The bucket of a ``*_api_rate_limit`` value; None for 0, which is no limit."""
        return cls(rate, rate * BURST_PER_RATE) if rate > 0 else None

    @property
    def interval_us(self) -> int:
        return max(1, MICROS // self.rate)

    @property
    def tolerance_us(self) -> int:
        return self.interval_us * self.burst


@dataclass(frozen=True)
class Decision:
    allowed: bool
    tat_us: int  # the bucket's state after this request
    retry_after_us: int  # 0 when allowed: how long until this request would pass


def admit(bucket: Bucket, tat_us: int | None, now_us: int) -> Decision:
    """Whether one request passes at ``now_us`` given the stored ``tat_us`` (None: a
    bucket not seen yet, or expired, which is a full one)."""
    start = max(tat_us or 0, now_us)
    new_tat = start + bucket.interval_us
    ahead = new_tat - now_us
    if ahead > bucket.tolerance_us:
        return Decision(False, start, ahead - bucket.tolerance_us)
    return Decision(True, new_tat, 0)


def retry_after_seconds(retry_after_us: int) -> int:
    """``Retry-After`` is whole seconds: rounded up, and never 0 (which invites a
    client to retry at once)."""
    return max(1, -(-retry_after_us // MICROS))


def bucket_of(settings: dict[str, Any], limited: str) -> Bucket | None:
    """The class's bucket in the effective application settings (None: not limited)."""
    return Bucket.from_setting(int(settings[setting_name(limited)]))
