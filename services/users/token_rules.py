"""The pure rules of bearer tokens (spec §4.1): what a token is, the only form of it
that is stored, and when it expires.

A token is 32 random bytes, URL-safe base64; only its SHA-256 hex is stored
(``tokens._id``), so a copy of the database lets nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def expiry(issued_at: datetime, ttl_seconds: int) -> datetime:
    """When a token issued at ``issued_at`` stops working: whole seconds, as the login
    answer's ``expires_after`` shows it."""
    return issued_at.replace(microsecond=0) + timedelta(seconds=ttl_seconds)


def is_expired(expires_at: datetime, now: datetime) -> bool:
    return expires_at <= now
