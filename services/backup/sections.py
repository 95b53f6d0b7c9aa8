"""What a backup holds and how each part comes back: one ``Section`` per domain, read
and written through that domain's own interface (this package owns no collection).

The payload (the plaintext inside ``blob_rules``)::

    {"format": 1, "created_at": <unix seconds>, "registration": {...},
     "sections": {"settings": ..., "certificates": ..., "shards": ..., "keys": ..., <hooks>}}

Not messages, callbacks, contacts or media (spec §10.1). ``registration`` is applied
last, by the core, once the new identity is published (services/core_worker/restore.py):
a restore that fails on the network leaves the installation unregistered.

Hook for the two-step PIN: its domain appends a ``Section("two_step", export, restore)``
to ``SECTIONS`` (export: the PIN as the domain keeps it, unsealed; restore: sealed again
under this installation's master key). A section missing from an older backup is
skipped, so adding one never breaks restoring an older blob.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.database import Database

from services.account import store as account_store
from services.account.store import RestorableRegistration
from services.certificates import store as certificates_store
from services.cluster import shard_shape
from services.common.config import ALLOWED_SHARD_COUNTS
from services.protocol import at_rest
from services.sessions import key_store
from services.settings import app_settings

PAYLOAD_FORMAT = 1


@dataclass(frozen=True)
class Installation:
    """Where a backup is read from or restored to."""

    db: Database
    master_key: at_rest.Keys
    initial_shards: int  # WA_SHARDS: the count of a database that never stored one
    now: datetime


@dataclass(frozen=True)
class Section:
    name: str
    export: Callable[[Installation], Any]
    restore: Callable[[Installation, Any], None] | None
    """None: carried for the record only (the keys: a restore rotates them)."""


class UnreadablePayload(ValueError):
    """The blob opened (the password was right) but its content is not a backup we can
    restore; ``str()`` is safe to show."""


def _restore_shards(installation: Installation, shards: Any) -> None:
    # A multiconnect install comes back with its shard count (spec §10.1, §16).
    if not isinstance(shards, int) or isinstance(shards, bool) or shards not in ALLOWED_SHARD_COUNTS:
        raise UnreadablePayload("the backup's shard count is not one of " + ", ".join(map(str, ALLOWED_SHARD_COUNTS)))
    shard_shape.change(installation.db, shards, installation.initial_shards)


SECTIONS: tuple[Section, ...] = (
    Section("settings", lambda at: app_settings.export_values(at.db),
            lambda at, values: app_settings.import_values(at.db, values)),
    Section("certificates", lambda at: certificates_store.export_all(at.db, at.master_key),
            lambda at, exported: certificates_store.import_all(at.db, at.master_key, exported, at.now)),
    Section("shards", lambda at: shard_shape.read(at.db, at.initial_shards).shards, _restore_shards),
    Section("keys", lambda at: key_store.export_keys(at.db, at.master_key), None),
)


def collect(installation: Installation) -> dict[str, Any] | None:
    """The payload of a backup; None while the installation is not registered."""
    registration = account_store.export_registration(installation.db, installation.master_key)
    if registration is None:
        return None
    return {
        "format": PAYLOAD_FORMAT,
        "created_at": int(time.time()),
        "registration": registration.to_dict(),
        "sections": {section.name: section.export(installation) for section in SECTIONS},
    }


@dataclass(frozen=True, repr=False)
class Restorable:
    registration: RestorableRegistration
    sections: dict[str, Any]


def read(payload: dict[str, Any]) -> Restorable:
    """The payload checked before anything is written; UnreadablePayload otherwise."""
    if payload.get("format") != PAYLOAD_FORMAT:
        raise UnreadablePayload(f"the backup's content format {str(payload.get('format'))[:10]!r} is not supported")
    sections = payload.get("sections")
    if not isinstance(sections, dict):
        raise UnreadablePayload("the backup holds no sections")
    try:
        registration = RestorableRegistration.from_dict(payload.get("registration"))
    except ValueError as error:
        raise UnreadablePayload(str(error)) from None
    return Restorable(registration, sections)


def restore_sections(installation: Installation, restorable: Restorable) -> None:
    """Every section the backup holds, written through its domain (the registration is
    the core's, after the network step)."""
    for section in SECTIONS:
        if section.restore is not None and section.name in restorable.sections:
            try:
                section.restore(installation, restorable.sections[section.name])
            except UnreadablePayload:
                raise
            except ValueError as error:
                raise UnreadablePayload(str(error)) from None
