"""Passwords, bearer tokens and the decorators that guard endpoints (spec §4).

- Passwords: scrypt (N=2**14, r=8, p=1) with a random 16-byte salt, compared in
  constant time.
- Tokens: 32 random bytes, URL-safe base64; only their SHA-256 hex is stored
  (``tokens._id``), with ``expires_at`` (a TTL index removes them).
- Bad or expired tokens: 401 with error 1005 "Access denied" ([unverified] body,
  our documented choice); non-admin on an admin endpoint: 403 1005.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import g, request
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.api_gateway import state
from services.common.clock import utcnow
from services.common.errors import ApiError

ADMIN = "admin"
DEFAULT_ADMIN_PASSWORD = "secret"
ROLE_ADMIN = "admin"
ROLE_USER = "user"

SPECIAL_CHARACTERS = "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~"
PASSWORD_POLICY_DETAILS = (
    "Password doesn't meet complexity requirements: 8 to 64 characters with at least one "
    "digit, one uppercase letter, one lowercase letter and one special character "
    "from " + SPECIAL_CHARACTERS
)

INVALID_CREDENTIALS = "Invalid credentials."
TOKEN_EXPIRED = "Token expired"

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2**14, 8, 1, 32

F = TypeVar("F", bound=Callable[..., Any])


# --- passwords -----------------------------------------------------------------------


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN)
    return "$".join(
        ["scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(digest)]
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=64 * 1024 * 1024
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# A fixed hash to verify against when the user does not exist, so that a wrong user
# name costs as much time as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def password_problem(password: object) -> str | None:
    """Why ``password`` breaks the policy of spec §4.1, or None when it is acceptable."""
    if not isinstance(password, str) or not 8 <= len(password) <= 64:
        return PASSWORD_POLICY_DETAILS
    checks = (
        any(c in string.digits for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c in string.ascii_lowercase for c in password),
        any(c in SPECIAL_CHARACTERS for c in password),
    )
    return None if all(checks) else PASSWORD_POLICY_DETAILS


def check_password_policy(password: object) -> None:
    if password_problem(password) is not None:
        raise ApiError(1009, PASSWORD_POLICY_DETAILS)


# --- users ---------------------------------------------------------------------------


def ensure_admin(db: Database) -> None:
    """Create the built-in admin (admin/secret, must change it) if it does not exist."""
    if db.users.find_one({"_id": ADMIN}, {"_id": 1}) is not None:
        return
    try:
        db.users.insert_one(
            {
                "_id": ADMIN,
                "password_hash": hash_password(DEFAULT_ADMIN_PASSWORD),
                "role": ROLE_ADMIN,
                "must_change_password": True,
                "created_at": utcnow(),
            }
        )
    except DuplicateKeyError:
        pass  # another worker created it first


def authenticate(db: Database, username: str, password: str) -> dict[str, Any] | None:
    user = db.users.find_one({"_id": username})
    if user is None:
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.get("password_hash", "")) else None


def change_password(db: Database, username: str, new_password: str) -> None:
    db.users.update_one(
        {"_id": username},
        {
            "$set": {
                "password_hash": hash_password(new_password),
                "must_change_password": False,
                "password_changed_at": utcnow(),
            }
        },
    )
    # Tokens issued under the old password stop working.
    db.tokens.delete_many({"username": username})


# --- tokens --------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def format_expires_after(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS+00:00`` in UTC (PHP ``Y-m-d H:i:sP``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


def issue_token(db: Database, username: str, role: str, ttl_seconds: int) -> tuple[str, datetime]:
    # The role rides on the token so that checking a request is one lookup. Roles never
    # change (only the built-in admin is admin) and deleting a user deletes its tokens.
    token = secrets.token_urlsafe(32)
    expires_at = utcnow().replace(microsecond=0) + timedelta(seconds=ttl_seconds)
    db.tokens.insert_one({
        "_id": token_hash(token), "username": username, "role": role,
        "expires_at": expires_at, "created_at": utcnow(),
    })
    return token, expires_at


def revoke_token(db: Database, hashed: str) -> None:
    db.tokens.delete_one({"_id": hashed})


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    token_hash: str | None  # None for the monitoring API key

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


def denied(details: str = INVALID_CREDENTIALS) -> ApiError:
    return ApiError(1005, details, http_status=401)


def _authorization() -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    return scheme.lower(), value.strip()


def bearer_principal(db: Database, token: str) -> Principal:
    if not token:
        raise denied()
    hashed = token_hash(token)
    doc = db.tokens.find_one({"_id": hashed})
    if doc is None:
        raise denied()
    if doc["expires_at"] <= utcnow():
        revoke_token(db, hashed)
        raise denied(TOKEN_EXPIRED)
    return Principal(username=doc["username"], role=doc.get("role", ROLE_USER), token_hash=hashed)


def current_principal(*, allow_apikey: bool = False) -> Principal:
    scheme, value = _authorization()
    if scheme == "bearer":
        return bearer_principal(state.db(), value)
    api_key = state.config().api_key
    if allow_apikey and scheme == "apikey" and api_key:
        if hmac.compare_digest(value.encode("utf-8"), api_key.encode("utf-8")):
            return Principal(username="apikey", role="apikey", token_hash=None)
    raise denied()


def require_auth(*, admin: bool = False, allow_apikey: bool = False) -> Callable[[F], F]:
    """Guard an endpoint: Bearer token (or the monitoring API key), optionally admin."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal(allow_apikey=allow_apikey)
            if admin and not principal.is_admin:
                raise ApiError(1005, "Admin access required")
            g.principal = principal
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def principal() -> Principal:
    return g.principal


def basic_credentials() -> tuple[str, str] | None:
    scheme, value = _authorization()
    if scheme != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None
