"""The pure rules of API users' passwords (spec §4.1): the complexity policy, and how a
password is hashed and checked.

scrypt (N=2**14, r=8, p=1) with a random 16-byte salt, stored as
``scrypt$N$r$p$<salt b64>$<digest b64>`` and compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string

SPECIAL_CHARACTERS = "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~"
PASSWORD_POLICY_DETAILS = (
    "Password doesn't meet complexity requirements: 8 to 64 characters with at least one "
    "digit, one uppercase letter, one lowercase letter and one special character "
    "from " + SPECIAL_CHARACTERS
)

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2**14, 8, 1, 32


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
_NOBODYS_HASH = hash_password(secrets.token_urlsafe(16))


def verify_nobody(password: str) -> None:
    """Spend the time :func:`verify_password` takes, for a user name that is unknown."""
    verify_password(password, _NOBODYS_HASH)
