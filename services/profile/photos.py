"""The profile photo's bytes in the media object store, and the links that serve them.

The bytes live under ``profile/photo/<uuid>`` (a new key for every photo, so a reader
of the old one is never handed half of the new one); the ``profile`` document names the
current key. Replacing: the new object first, then the document, then the old object.
A crash between the first two leaves an object no document names (at most one photo,
5 MiB); one between the last two leaves the old object. Neither is ever served.

A link (``GET /v1/settings/profile/photo?format=link``) is an unguessable token (32
random bytes) that lets whoever holds it fetch the current photo without a login for
``LINK_TTL``, as a link handed to a browser or another system must. Only its SHA-256
is stored (``profile_photo_links``, removed by a TTL index once expired), so the
database does not hold a usable link.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from pymongo import ASCENDING
from pymongo.database import Database

from services.common.clock import utcnow
from services.media.object_store import ObjectReader, ObjectStore
from services.profile import photo_rules, store
from services.profile.store import Photo

LINKS = "profile_photo_links"
LINK_TTL = timedelta(hours=1)


def ensure_indexes(db: Database) -> None:
    db[LINKS].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)


def save(db: Database, objects: ObjectStore, data: bytes, mime_type: str) -> Photo:
    """Store ``data`` as the profile photo (already checked: an image within the limit)."""
    photo = Photo(object_key=photo_rules.photo_key(uuid.uuid4().hex), mime_type=mime_type, size=len(data),
                  sha256=hashlib.sha256(data).hexdigest())
    objects.put(photo.object_key, data, mime_type)
    try:
        replaced = store.replace_photo(db, photo)
    except BaseException:
        objects.delete(photo.object_key)
        raise
    if replaced is not None:
        objects.delete(replaced.object_key)
    return photo


def remove(db: Database, objects: ObjectStore) -> None:
    """No photo any more (none before is no error: DELETE is idempotent)."""
    replaced = store.replace_photo(db, None)
    if replaced is not None:
        objects.delete(replaced.object_key)


def open_current(db: Database, objects: ObjectStore) -> tuple[Photo, ObjectReader] | None:
    photo = store.load(db).photo
    if photo is None:
        return None
    reader = objects.open(photo.object_key)
    return (photo, reader) if reader is not None else None


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link_token(db: Database, now: datetime | None = None) -> str:
    token = secrets.token_urlsafe(32)
    db[LINKS].insert_one({"_id": _token_id(token), "expires_at": (now or utcnow()) + LINK_TTL})
    return token


def link_valid(db: Database, token: str, now: datetime | None = None) -> bool:
    """The TTL index removes an expired token within a minute or so; the date decides."""
    if not token:
        return False
    found = db[LINKS].find_one({"_id": _token_id(token), "expires_at": {"$gt": now or utcnow()}})
    return found is not None
