"""The API's users and their bearer tokens in MongoDB (spec §4; docs/design.md
"MongoDB collections"): the one module that reads or writes ``users`` and ``tokens``.

- ``users`` ``{_id: username, password_hash, role, must_change_password, created_at,
  password_changed_at?, password_stamp?}``: ``password_hash`` is argon2id
  (password_rules.py), or scrypt until its user's next successful login re-hashes it;
  ``password_stamp`` is new at every password set (not at a re-hash), so that a login
  can tell that the password it checked is still the user's (:func:`issue_token_if_current`);
  the built-in admin is created on first use with the default password, which must be
  changed before it gets a token.
- ``tokens`` ``{_id: sha256-hex(token), username, role, password_stamp, expires_at,
  created_at}``: the token itself is never stored (token_rules.py); a TTL index removes
  expired ones, and a lookup that finds one before the TTL monitor did deletes it. A
  token holds its user's ``password_stamp`` at issue and is good only while the user
  exists with that stamp (:func:`token_holder`, one aggregation with the user): a
  password change or a delete revokes every token by its user write alone, so a crash
  before the tokens are deleted, or a user deleted and created again under the same
  name (a new stamp), leaves no old token working. Deleting the tokens is only tidying.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.common.clock import utcnow
from services.users import password_rules, token_rules

ADMIN = "admin"
DEFAULT_ADMIN_PASSWORD = "secret"
ROLE_ADMIN = "admin"
ROLE_USER = "user"


@dataclass(frozen=True)
class User:
    """A user whose password was just checked."""

    username: str
    role: str
    must_change_password: bool
    password_stamp: str | None  # None for a user whose password was never set since stamps


@dataclass(frozen=True)
class TokenHolder:
    """Whom a live bearer token was issued to."""

    username: str
    role: str
    token_hash: str


class UserExists(Exception):
    """A user of that name exists already."""


class TokenExpired(Exception):
    """The token was issued but has expired (it is deleted now)."""


def ensure_indexes(db: Database) -> None:
    db.tokens.create_index("expires_at", expireAfterSeconds=0)
    db.tokens.create_index("username")


# --- users ---------------------------------------------------------------------------


def ensure_admin(db: Database) -> None:
    """Create the built-in admin (admin/secret, must change it) if it does not exist."""
    if db.users.find_one({"_id": ADMIN}, {"_id": 1}) is not None:
        return
    try:
        db.users.insert_one(
            {
                "_id": ADMIN,
                "password_hash": password_rules.hash_password(DEFAULT_ADMIN_PASSWORD),
                "role": ROLE_ADMIN,
                "must_change_password": True,
                "created_at": utcnow(),
            }
        )
    except DuplicateKeyError:
        pass  # another worker created it first


def authenticate(db: Database, username: str, password: str) -> User | None:
    """The user, when ``password`` is theirs; None for a wrong password or an unknown
    user, which take the same time."""
    doc = db.users.find_one({"_id": username})
    if doc is None:
        password_rules.verify_nobody(password)
        return None
    stored = doc.get("password_hash", "")
    if not password_rules.verify_password(password, stored):
        return None
    if password_rules.needs_rehash(stored):
        _rehash(db, username, stored, password)
    return User(username=username, role=doc.get("role", ROLE_USER),
                must_change_password=bool(doc.get("must_change_password")),
                password_stamp=doc.get("password_stamp"))


def _rehash(db: Database, username: str, stored: str, password: str) -> None:
    """Replace a hash of older parameters (scrypt, weaker argon2id) now that the password
    is known; only if it is still the stored one, so a concurrent change wins."""
    db.users.update_one({"_id": username, "password_hash": stored},
                        {"$set": {"password_hash": password_rules.hash_password(password)}})


def create_user(db: Database, username: str, password: str) -> None:
    """A plain user (ROLE_USER) with ``password`` (checked by the caller); UserExists for
    a name taken, the admin's included, even before its first login."""
    now = utcnow()
    try:
        db.users.insert_one({
            "_id": username, "password_hash": password_rules.hash_password(password), "role": ROLE_USER,
            "must_change_password": False, "created_at": now, "password_changed_at": now,
            "password_stamp": _new_stamp(),
        })
    except DuplicateKeyError:
        raise UserExists(username) from None


def role_of(db: Database, username: str) -> str | None:
    """The stored role of ``username``; None when there is no such user."""
    doc = db.users.find_one({"_id": username}, {"role": 1})
    return None if doc is None else doc.get("role", ROLE_USER)


def delete_user(db: Database, username: str) -> bool:
    """Delete the user and every token it holds; False when there was no such user.
    The user's delete alone revokes the tokens (:func:`token_holder`); deleting them
    after is tidying, which a crash may skip."""
    deleted = db.users.delete_one({"_id": username}).deleted_count == 1
    db.tokens.delete_many({"username": username})
    return deleted


def change_password(db: Database, username: str, new_password: str) -> str | None:
    """Set a password (checked against the policy by the caller), which also ends the
    default password's obligation to change it; its new stamp, None when there is no
    such user."""
    stamp = _new_stamp()
    changed = db.users.update_one(
        {"_id": username},
        {
            "$set": {
                "password_hash": password_rules.hash_password(new_password),
                "must_change_password": False,
                "password_changed_at": utcnow(),
                "password_stamp": stamp,
            }
        },
    )
    # The new stamp already revoked the tokens of the old password (token_holder); this
    # is tidying, which a crash may skip.
    db.tokens.delete_many({"username": username})
    return stamp if changed.matched_count == 1 else None


def _new_stamp() -> str:
    return secrets.token_hex(8)


# --- tokens --------------------------------------------------------------------------


def issue_token(db: Database, username: str, role: str, ttl_seconds: int,
                password_stamp: str | None) -> tuple[str, datetime]:
    """A new token for the user, good while its password stamp is ``password_stamp``,
    and when it expires."""
    token = token_rules.new_token()
    expires_at = token_rules.expiry(utcnow(), ttl_seconds)
    db.tokens.insert_one({
        "_id": token_rules.token_hash(token), "username": username, "role": role,
        "password_stamp": password_stamp, "expires_at": expires_at, "created_at": utcnow(),
    })
    return token, expires_at


def issue_token_if_current(db: Database, username: str, role: str, password_stamp: str | None,
                           ttl_seconds: int) -> tuple[str, datetime] | None:
    """A new token, only if the password checked (its ``password_stamp``) is still the
    user's and the user still exists; else None, and no token is left.

    A password change or a delete racing a login (its ~60 ms argon2 check) writes first
    and then deletes the user's tokens; the token is inserted first and the stamp read
    after, so either that delete removes the token or this read sees the change."""
    token, expires_at = issue_token(db, username, role, ttl_seconds, password_stamp)
    if db.users.count_documents({"_id": username, "password_stamp": password_stamp}, limit=1) == 0:
        revoke_token(db, token_rules.token_hash(token))
        return None
    return token, expires_at


def token_holder(db: Database, token: str) -> TokenHolder | None:
    """Whom ``token`` was issued to; None for a token never issued (or revoked).
    Raises TokenExpired for one past its expiry, and deletes it."""
    hashed = token_rules.token_hash(token)
    # One round trip for the token and its user: a token checked without its user would
    # outlive a revocation whose token delete never ran (a crash after the user write).
    found = list(db.tokens.aggregate([
        {"$match": {"_id": hashed}},
        {"$limit": 1},
        {"$lookup": {"from": "users", "localField": "username", "foreignField": "_id", "as": "user",
                     "pipeline": [{"$project": {"role": 1, "password_stamp": 1}}]}},
    ]))
    if not found:
        return None
    doc = found[0]
    if token_rules.is_expired(doc["expires_at"], utcnow()):
        revoke_token(db, hashed)
        raise TokenExpired
    user = doc["user"][0] if doc["user"] else None
    if user is None or user.get("password_stamp") != doc.get("password_stamp"):
        revoke_token(db, hashed)  # revoked by a password change or a delete; its delete was lost
        return None
    return TokenHolder(username=doc["username"], role=user.get("role", ROLE_USER), token_hash=hashed)


def revoke_token(db: Database, hashed: str) -> None:
    """Forget a token (logout), by its hash: the token itself is never kept."""
    db.tokens.delete_one({"_id": hashed})
