"""Documents as the services store them, for tests that need them but are not about how
they are made (tests/integration/gateway/test_users.py is about logging in).

Logging in costs three argon2id hashes (the default admin's, checking it, the new
password's): a few hundred milliseconds of CPU per test. A test that only needs to be
logged in gets the state a first login leaves, written directly, with the password's
hash computed once per run.
"""

from __future__ import annotations

from functools import lru_cache

from pymongo.database import Database

ADMIN = "admin"


@lru_cache(maxsize=4)
def password_hash(password: str) -> str:
    """``password`` hashed as the gateway hashes it: once per run, the salt shared."""
    from services.users.password_rules import hash_password

    return hash_password(password)


def insert_admin(db: Database, password: str) -> None:
    """The built-in admin after its first-login password change (services/users/store.py
    ensure_admin, then change_password)."""
    from services.common.clock import utcnow

    now = utcnow()
    db.users.insert_one({
        "_id": ADMIN, "password_hash": password_hash(password), "role": "admin",
        "must_change_password": False, "created_at": now, "password_changed_at": now,
        "password_stamp": "factory",
    })


def issue_token(db: Database, ttl_seconds: int, username: str = ADMIN, role: str = "admin") -> str:
    """A bearer token stored as a login stores it (only its SHA-256, with role, expiry and
    the user's password stamp); the user is created (with no usable password) if missing,
    since a token is good only while its user exists."""
    from services.common.clock import utcnow
    from services.users import store

    user = db.users.find_one_and_update(
        {"_id": username},
        {"$setOnInsert": {"password_hash": "!", "role": role, "must_change_password": False,
                          "created_at": utcnow(), "password_stamp": "factory"}},
        upsert=True, return_document=True)
    token, _ = store.issue_token(db, username, role, ttl_seconds, user.get("password_stamp"))
    return token


def logged_in_admin(db: Database, password: str, ttl_seconds: int) -> str:
    """What a first login with ``new_password=password`` leaves: the admin and its token."""
    insert_admin(db, password)
    return issue_token(db, ttl_seconds)


def scrypt_hash(password: str) -> str:
    """``password`` as the gateway hashed it before argon2id (scrypt, N=2**14, r=8, p=1),
    built from that format's definition: hashes of this kind are still in databases."""
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def v1_sealed(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """A blob as ``at_rest.seal`` wrote them before keys had ids (format v1, no key id;
    docs/protocol.md "Sealing at rest"), built from that format's definition."""
    from services.protocol import primitives

    salt, nonce = primitives.random_bytes(16), primitives.random_bytes(12)
    subkey = primitives.hkdf_sha256(key, salt=salt, info=b"wa-onprem/at-rest/v1", length=32)
    return b"\x01" + salt + nonce + primitives.aead_encrypt(subkey, nonce, plaintext, b"\x01" + context)
