"""How bad logins are throttled (docs/design.md "Login throttling"). Pure: the keys,
limits and decisions; services/users/throttle_store.py keeps the counts in Redis.

Three fixed-window counts of bad logins, each refusing further logins (429/1015) once
it reaches its limit, until its window ends:

- per client address: 10 in 60 s, the original's per-IP rule (spec §4.1); the address is
  the real client's behind trusted proxies (services/api_gateway/client_address.py);
- per account and address: 5 in 15 min, one client guessing one account (the others,
  and its other accounts, are unaffected);
- per account, all addresses together: 50 in 60 s, a guess at one account spread over
  many addresses. To keep that ceiling from being a trivial lock-out of the real admin
  (anyone can fail 50 logins a minute at ``admin``), it spares the addresses that
  logged in to the account successfully in the last 30 days; a lock-out of everyone
  else ends a minute after the attack slows below the limit.

An unknown user name is counted as a known one is (the answers are the same), under a
hash of the name, so the keys stay short and hold no raw request data.

Creating a user and changing a password are counted the same way, per client address
in a window of an hour (:func:`user_changes_limit`, ``WA_USER_CHANGES_PER_HOUR``; the
original limits them per IP): each costs an argon2 hash, and a stolen token must not
try passwords or fill the users collection at the rate of the API. Every attempt
counts, accepted or not.

A refusal says when to come back (``Retry-After``): the seconds left in the window
that refused (:func:`retry_after_seconds`).
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

PREFIX = "gateway:login"
USER_CHANGES_PREFIX = "gateway:user_changes"
KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class Limit:
    name: str
    failures: int
    window_seconds: int


PER_ADDRESS = Limit("address", 10, 60)
PER_ACCOUNT_ADDRESS = Limit("account_address", 5, 15 * 60)
PER_ACCOUNT = Limit("account", 50, 60)
LIMITS = (PER_ADDRESS, PER_ACCOUNT_ADDRESS, PER_ACCOUNT)


@dataclass(frozen=True)
class LoginKeys:
    """The Redis keys of one login attempt's counts, in the order of :data:`LIMITS`,
    and of the mark that the address once logged in to the account."""

    counts: tuple[str, ...]
    known_address: str


def address_bucket(address: str) -> str:
    """What an address is counted as: an IPv6 address as its /64, since any IPv6 host
    holds at least a /64 and could change its address on every attempt; an IPv4 address
    as itself."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed.ipv4_mapped or parsed) if isinstance(parsed, ipaddress.IPv6Address) else str(parsed)


def keys_for(username: str, address: str) -> LoginKeys:
    account = hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    address = address_bucket(address)
    return LoginKeys(
        counts=(f"{PREFIX}:address:{address}", f"{PREFIX}:account_address:{account}:{address}",
                f"{PREFIX}:account:{account}"),
        known_address=f"{PREFIX}:known:{account}:{address}",
    )


@dataclass(frozen=True)
class Standing:
    """What Redis holds for an attempt: the bad logins per limit, and whether the
    address logged in to the account before."""

    failures: tuple[int, ...]
    known_address: bool

    @classmethod
    def read(cls, values: list[bytes | str | None]) -> Standing:
        """From the values of ``counts + (known_address,)``, as one MGET returns them."""
        *counts, known = values
        return cls(tuple(int(value or 0) for value in counts), known is not None)

    @classmethod
    def before_reserved(cls, counts: list[int], known: bytes | str | None) -> Standing:
        """From the counts just incremented for this attempt (throttle_store.reserve):
        the bad logins before it."""
        return cls(tuple(count - 1 for count in counts), known is not None)


def exceeded(standing: Standing) -> Limit | None:
    """The limit that refuses this attempt, or None."""
    for limit, failures in zip(LIMITS, standing.failures, strict=True):
        if limit is PER_ACCOUNT and standing.known_address:
            continue
        if failures >= limit.failures:
            return limit
    return None


def refusing_key(keys: LoginKeys, limit: Limit) -> str:
    """The count of ``keys`` that ``limit`` (as :func:`exceeded` returned it) keeps."""
    return keys.counts[LIMITS.index(limit)]


def user_changes_limit(per_hour: int) -> Limit:
    return Limit("user_changes", per_hour, 3600)


def user_changes_key(address: str, principal: str) -> str:
    """The count of user creations and password changes of one caller from one address:
    by address so that a stolen token used from elsewhere starts afresh only there, and
    by caller so that a plain user spending its budget never blocks the admin's."""
    caller = hashlib.sha256(principal.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{USER_CHANGES_PREFIX}:{address_bucket(address)}:{caller}"


def retry_after_seconds(ttl: int, limit: Limit) -> int:
    """``Retry-After`` from Redis' TTL of the refusing count: at least one second; the
    whole window for a count without expiry (-1), which only a
    crash between its INCR and its EXPIRE could leave; one second for a count that
    expired since it refused (-2)."""
    if ttl > 0:
        return ttl
    return 1 if ttl == -2 else limit.window_seconds
