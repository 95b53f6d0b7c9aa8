"""The pure rules of API users' passwords (spec §4.1): the complexity policy, and how a
password is hashed and checked.

argon2id (argon2-cffi), stored in the PHC format ``$argon2id$v=19$m=32768,t=2,p=1$<salt>$<hash>``,
with m = 32 MiB, t = 2, p = 1. OWASP's password storage guidance asks for at least
m = 19 MiB, t = 2, p = 1; 32 MiB raises an attacker's memory cost per guess by two
thirds over that floor while a login still costs about what the scrypt it replaces did
(~60 ms of one core), and the gateway's worst case stays bounded (8 threads hashing at
once: 256 MiB). p = 1: more lanes would only spend the gateway's other threads' cores.

Hashes from before (``scrypt$N$r$p$<salt b64>$<digest b64>``, N = 2**14) still verify;
:func:`needs_rehash` is true for them and for argon2id hashes of other parameters, so
the store re-hashes a password at its next successful login (and whenever the
parameters here are raised).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import string

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

SPECIAL_CHARACTERS = "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~"
PASSWORD_POLICY_DETAILS = (
    "Password doesn't meet complexity requirements: 8 to 64 characters with at least one "
    "digit, one uppercase letter, one lowercase letter and one special character "
    "from " + SPECIAL_CHARACTERS
)

MIN_PASSWORD = 8
MAX_PASSWORD = 64
_CLASS_SYNTAX = "\\[]^-"
# The policy as JSON Schema keywords (the OpenAPI document's): one lookahead per kind of
# character, written so that Python's and ECMA-262's regular expressions read it alike.
PASSWORD_SCHEMA = {
    "type": "string", "minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD,
    "pattern": "^" + "".join(f"(?=[\\s\\S]*[{kind}])" for kind in (
        "0-9", "A-Z", "a-z", "".join("\\" + c if c in _CLASS_SYNTAX else c for c in SPECIAL_CHARACTERS))),
    "description": PASSWORD_POLICY_DETAILS,
}

ARGON2_MEMORY_KIB = 32 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
_HASHER = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB,
                         parallelism=ARGON2_PARALLELISM, hash_len=32, salt_len=16, type=Type.ID)
_SCRYPT = "scrypt$"


def password_problem(password: object) -> str | None:
    """Why ``password`` breaks the policy of spec §4.1, or None when it is acceptable."""
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return PASSWORD_POLICY_DETAILS
    checks = (
        any(c in string.digits for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c in string.ascii_lowercase for c in password),
        any(c in SPECIAL_CHARACTERS for c in password),
    )
    return None if all(checks) else PASSWORD_POLICY_DETAILS


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (argon2id, or a scrypt
    hash from before); False for a malformed ``stored``."""
    if stored.startswith(_SCRYPT):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash that just verified should be replaced by one of today's parameters."""
    if stored.startswith(_SCRYPT):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest, validate=True)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt, validate=True), n=int(n),
                                r=int(r), p=int(p), dklen=len(expected), maxmem=64 * 1024 * 1024)
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


# A fixed hash to verify against when the user does not exist, so that a wrong user
# name costs as much time as a wrong password.
_NOBODYS_HASH = hash_password(secrets.token_urlsafe(16))


def verify_nobody(password: str) -> None:
    """Spend the time :func:`verify_password` takes, for a user name that is unknown."""
    verify_password(password, _NOBODYS_HASH)
