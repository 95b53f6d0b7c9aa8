"""What each business publishes about itself: its about text, photo and business profile.

A business's client sends the whole profile (``PUT /network/v1/profile``) with the
revision its own database gave it and that database's ``epoch``; within an epoch the
network keeps the highest revision it was sent and ignores an older one, so two
publishes that cross (a retry finishing after a newer change) cannot leave the older
profile in place. Another epoch (the client's database was replaced, its revisions
start again) replaces what is held. The photo's bytes are a blob of the
media store (uploaded first, like any medium; a profile photo is public, not end-to-end
encrypted), named here by id with its type, size and hash. Phones read a business's
profile through ``/sandbox/v1/phones/{wa_id}/business/{business_wa_id}``.
"""

from __future__ import annotations

from typing import Any

from sandbox.changes import Changes, Key
from sandbox.errors import bad_request
from sandbox.validation import require_object

PROFILE = "profile"
"""Journal record kind (sandbox/changes.py): ``(PROFILE, business wa_id)``."""

EPOCH_MAX = 64
ABOUT_MAX = 139
TEXT_MAX = 256
PHOTO_TYPES = ("image/jpeg", "image/png")
BUSINESS_FIELDS = ("address", "description", "email", "vertical")
MAX_WEBSITES = 2


def _text(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise bad_request(f"'{where}' must be a string of at most {limit} characters")
    return value


def _business(value: Any) -> dict[str, Any]:
    body = require_object(value)
    checked: dict[str, Any] = {name: _text(body.get(name, ""), f"business_profile.{name}", TEXT_MAX)
                               for name in BUSINESS_FIELDS}
    websites = body.get("websites", [])
    if not isinstance(websites, list) or len(websites) > MAX_WEBSITES:
        raise bad_request(f"'business_profile.websites' must be a list of at most {MAX_WEBSITES} URLs")
    checked["websites"] = [_text(site, "business_profile.websites[]", TEXT_MAX) for site in websites]
    return checked


def _photo(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    photo = require_object(value)
    media_id, mime_type, size, sha256 = photo.get("id"), photo.get("mime_type"), photo.get("size"), photo.get("sha256")
    if not isinstance(media_id, str) or mime_type not in PHOTO_TYPES:
        raise bad_request(f"'photo' needs the blob's 'id' and a 'mime_type' among {', '.join(PHOTO_TYPES)}")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0 or not isinstance(sha256, str):
        raise bad_request("'photo' needs the blob's 'size' and 'sha256'")
    return {"id": media_id, "mime_type": mime_type, "size": size, "sha256": sha256}


def check_profile(body: Any) -> dict[str, Any]:
    body = require_object(body)
    revision = body.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        raise bad_request("'revision' must be a positive integer")
    return {"revision": revision, "epoch": _text(body.get("epoch", ""), "epoch", EPOCH_MAX),
            "about": _text(body.get("about", ""), "about", ABOUT_MAX),
            "business_profile": _business(body.get("business_profile", {})), "photo": _photo(body.get("photo"))}


class ProfileStore:
    def __init__(self, changes: Changes | None = None) -> None:
        self._changes = changes or Changes()
        self.profiles: dict[str, dict[str, Any]] = {}

    def publish(self, wa_id: str, profile: dict[str, Any]) -> int:
        """Keep ``profile`` (checked) unless a newer revision of its epoch is held; the
        revision held."""
        held = self.profiles.get(wa_id)
        if held is not None and held.get("epoch", "") == profile["epoch"] and held["revision"] >= profile["revision"]:
            return int(held["revision"])
        self.profiles[wa_id] = profile
        self._changes.mark(PROFILE, wa_id)
        return int(profile["revision"])

    def get(self, wa_id: str) -> dict[str, Any] | None:
        return self.profiles.get(wa_id)

    # -- persistence -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dict(self.profiles)

    def load(self, data: dict[str, Any]) -> None:
        self.profiles = dict(data)

    def dump_record(self, key: Key) -> Any:
        return self.profiles.get(key[1])

    def apply_record(self, key: Key, value: Any) -> None:
        if value is None:
            self.profiles.pop(key[1], None)
        else:
            self.profiles[key[1]] = value
