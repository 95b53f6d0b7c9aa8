"""The ``profile`` collection: what the business shows and whether the network has it.

One document::

    {_id: "business", about: str | None, business: {address, description, email,
     vertical, websites}, photo: {object_key, mime_type, size, sha256} | None,
     revision: int, epoch: str, published: {revision, photo_sha256, photo_network_id, wa_id},
     publish_attempts: int, publish_retry_at: datetime | None, updated_at}

MongoDB is the truth; the network gets a copy. Every change adds one to ``revision``
(in the same write); the core publishes the whole profile with its revision and then
records ``published.revision`` and the number it went to (``published.wa_id``: a new
number registered has none of it yet, so the profile is unpublished for it). ``epoch``,
random and set when the document is created, tells the network that revisions started
again (a new database for the same number), so it does not ignore them as older. A
profile whose ``revision`` is ahead of ``published.revision``, or published to another
number than the registered one, is still to be published: a kick, the core's periodic job and
its connection to the network all look for that, so a publish lost to a crash or an
outage is sent again (docs/design.md "Profile").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database

from services.common.clock import utcnow
from services.common.mongo import accepted
from services.profile import photo_rules, profile_rules

COLLECTION = "profile"
DOC_ID = "business"
BUSINESS_FIELDS = ("address", "description", "email", "vertical", "websites")
EMPTY_BUSINESS: dict[str, Any] = {"address": "", "description": "", "email": "", "vertical": "", "websites": []}

RETRY_FIRST = timedelta(seconds=2)
RETRY_MOST = timedelta(minutes=5)


@dataclass(frozen=True)
class Photo:
    object_key: str
    mime_type: str
    size: int
    sha256: str

    def to_doc(self) -> dict[str, Any]:
        return {"object_key": self.object_key, "mime_type": self.mime_type, "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> Photo | None:
        if not doc:
            return None
        return cls(doc["object_key"], doc["mime_type"], doc["size"], doc["sha256"])


@dataclass(frozen=True)
class Profile:
    about: str
    business: dict[str, Any]
    photo: Photo | None
    revision: int = 0
    epoch: str = ""
    published: dict[str, Any] = field(default_factory=dict)

    def unpublished_for(self, wa_id: str) -> bool:
        """Whether the number ``wa_id`` lacks the current revision: a change not yet
        published, or a publish that went to another number (registered since)."""
        if self.revision <= 0:
            return False  # never changed: nothing to tell the network
        return self.revision > self.published.get("revision", 0) or self.published.get("wa_id") != wa_id

    def photo_network_id_for(self, wa_id: str) -> str | None:
        """The network's blob id of the current photo, as the last publish to ``wa_id``
        uploaded it (None: to upload)."""
        photo, published = self.photo, self.published
        if photo is None or published.get("wa_id") != wa_id or published.get("photo_sha256") != photo.sha256:
            return None
        return str(published["photo_network_id"]) if published.get("photo_network_id") else None

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> Profile:
        doc = doc or {}
        business = {**EMPTY_BUSINESS, **(doc.get("business") or {})}
        return cls(about=doc.get("about") or "", business=business, photo=Photo.from_doc(doc.get("photo")),
                   revision=doc.get("revision", 0), epoch=doc.get("epoch", ""),
                   published=doc.get("published") or {})


def load(db: Database) -> Profile:
    return Profile.from_doc(db[COLLECTION].find_one({"_id": DOC_ID}))


def _change(db: Database, changes: dict[str, Any], *, before: bool = False) -> dict[str, Any] | None:
    """Apply ``changes`` and count a revision, in one journaled write; the document as it
    was (``before``) or as it is now."""
    return accepted(db, COLLECTION).find_one_and_update(
        {"_id": DOC_ID},
        {"$set": {**changes, "updated_at": utcnow(), "publish_attempts": 0, "publish_retry_at": None},
         "$inc": {"revision": 1}, "$setOnInsert": {"epoch": uuid.uuid4().hex}},
        upsert=True,
        return_document=ReturnDocument.BEFORE if before else ReturnDocument.AFTER,
    )


def set_about(db: Database, text: str) -> None:
    _change(db, {"about": text})


def update_business(db: Database, fields: dict[str, Any]) -> None:
    """Set the given business profile fields, leaving the others as they are."""
    unknown = set(fields) - set(BUSINESS_FIELDS)
    if unknown:
        raise ValueError(f"not business profile fields: {sorted(unknown)}")
    if fields:
        _change(db, {f"business.{name}": value for name, value in fields.items()})


def replace_photo(db: Database, photo: Photo | None) -> Photo | None:
    """The photo is now ``photo`` (None: no photo); returns the one it replaced, whose
    object the caller deletes."""
    before = _change(db, {"photo": photo.to_doc() if photo else None}, before=True)
    return Photo.from_doc((before or {}).get("photo"))


def due_for_publishing(db: Database, wa_id: str | None, now: datetime | None = None) -> bool:
    """A change the registered number ``wa_id`` lacks whose retry time (if a publish
    failed) has come; never while no number is registered (None)."""
    now = now or utcnow()
    doc = db[COLLECTION].find_one({"_id": DOC_ID}, {"revision": 1, "published": 1, "publish_retry_at": 1})
    if doc is None or wa_id is None or not Profile.from_doc(doc).unpublished_for(wa_id):
        return False
    retry_at = doc.get("publish_retry_at")
    return retry_at is None or retry_at <= now


def mark_published(db: Database, revision: int, wa_id: str, photo_sha256: str | None,
                   photo_network_id: str | None) -> None:
    """The network holds ``revision`` for ``wa_id``; a publish of an older one to the same
    number (finishing late) leaves a newer record as it is."""
    accepted(db, COLLECTION).update_one(
        {"_id": DOC_ID, "$or": [{"published.revision": {"$lt": revision}}, {"published.wa_id": {"$ne": wa_id}},
                                {"published": None}, {"published": {"$exists": False}}]},
        {"$set": {"published": {"revision": revision, "photo_sha256": photo_sha256,
                                "photo_network_id": photo_network_id, "wa_id": wa_id},
                  "publish_attempts": 0, "publish_retry_at": None}},
    )


def publish_failed(db: Database, revision: int, now: datetime | None = None) -> datetime:
    """A publish of ``revision`` failed: the next attempt waits, twice as long each time
    (from ``RETRY_FIRST`` to ``RETRY_MOST``). Returns when it may run."""
    now = now or utcnow()
    doc = db[COLLECTION].find_one({"_id": DOC_ID}, {"publish_attempts": 1}) or {}
    attempts = int(doc.get("publish_attempts") or 0) + 1
    retry_at = now + retry_delay(attempts)
    db[COLLECTION].update_one({"_id": DOC_ID, "revision": revision},
                              {"$set": {"publish_attempts": attempts, "publish_retry_at": retry_at}})
    return retry_at


def retry_delay(attempts: int) -> timedelta:
    return min(RETRY_FIRST * (2 ** min(max(attempts - 1, 0), 16)), RETRY_MOST)


@dataclass(frozen=True)
class RestorableProfile:
    """A backup's profile, checked: what ``restore`` writes."""

    about: str
    business: dict[str, Any]
    photo: Photo | None
    revision: int
    epoch: str
    published: dict[str, Any]


def export(db: Database) -> dict[str, Any] | None:
    """The profile for a backup: its values, the photo's description (not its bytes) and
    what the network was last sent (with the photo's blob id there); None: never set."""
    doc = db[COLLECTION].find_one({"_id": DOC_ID})
    if doc is None:
        return None
    profile = Profile.from_doc(doc)
    return {"about": profile.about, "business": profile.business,
            "photo": profile.photo.to_doc() if profile.photo else None,
            "revision": profile.revision, "epoch": profile.epoch, "published": profile.published or None}


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _optional_text(value: Any) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= 256)


def _parse_photo(doc: Any) -> Photo | None:
    if doc is None:
        return None
    if not isinstance(doc, dict) or not photo_rules.is_photo(doc.get("object_key"), doc.get("mime_type"),
                                                             doc.get("size"), doc.get("sha256")):
        raise ValueError("the backup's profile photo is unreadable")
    return Photo.from_doc(doc)


def _parse_published(doc: Any, revision: int) -> dict[str, Any]:
    if doc is None:
        return {}
    if not (isinstance(doc, dict) and _whole(doc.get("revision")) and doc["revision"] <= revision
            and all(_optional_text(doc.get(name)) for name in ("photo_sha256", "photo_network_id", "wa_id"))):
        raise ValueError("the backup's profile publishing record is unreadable")
    return {name: doc.get(name) for name in ("revision", "photo_sha256", "photo_network_id", "wa_id")}


def parse_export(exported: Any) -> RestorableProfile:
    """``export``' answer of another installation, each value checked as the profile
    endpoints check it (profile_rules, photo_rules); ValueError otherwise."""
    if not isinstance(exported, dict):
        raise ValueError("the backup's profile is unreadable")
    revision, epoch = exported.get("revision"), exported.get("epoch")
    if not (isinstance(revision, int) and _whole(revision) and isinstance(epoch, str) and 0 < len(epoch) <= 64):
        raise ValueError("the backup's profile revision is unreadable")
    try:
        about = profile_rules.check_about(exported.get("about"))
        business = profile_rules.check_business(exported.get("business"))
    except ValueError as error:
        raise ValueError(f"the backup's profile is refused: {error}") from None
    return RestorableProfile(about, business, _parse_photo(exported.get("photo")), revision, epoch,
                             _parse_published(exported.get("published"), revision))


def restore(db: Database, restorable: RestorableProfile) -> None:
    """The profile becomes the backup's, with its revision, epoch and publishing record:
    what the network was sent stays counted as sent, so the next change is a newer
    revision of the same epoch (the network keeps the fields it does not touch)."""
    accepted(db, COLLECTION).replace_one(
        {"_id": DOC_ID},
        {"_id": DOC_ID, "about": restorable.about, "business": restorable.business,
         "photo": restorable.photo.to_doc() if restorable.photo else None, "revision": restorable.revision,
         "epoch": restorable.epoch, "published": restorable.published, "publish_attempts": 0,
         "publish_retry_at": None, "updated_at": utcnow()},
        upsert=True,
    )
