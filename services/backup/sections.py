"""What a backup holds and how each part comes back: one ``Section`` per domain, read
and written through that domain's own interface (this package owns no collection).

The payload (the plaintext inside ``blob_rules``)::

    {"format": 1, "created_at": <unix seconds>, "registration": {...},
     "sections": {"settings": ..., "media_providers": ..., "certificates": ..., "shards": ...,
                  "two_step": ..., "keys": ..., "profile": ...}}

Not messages, callbacks, contacts or media (spec §10.1). ``registration`` is applied
last, by the core, once the new identity is published (services/core_worker/restore.py):
a restore that fails on the network leaves the installation unregistered.

A new part is one more ``Section`` in ``SECTIONS`` (as ``two_step``: the PIN unsealed
for the blob, sealed again under the target's master key). A section missing from an
older backup is skipped, so adding one never breaks restoring an older blob.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.database import Database

from services.account import store as account_store
from services.account import two_step_rules
from services.account.store import RestorableRegistration
from services.certificates import store as certificates_store
from services.cluster import shard_shape
from services.common.config import ALLOWED_SHARD_COUNTS
from services.media import providers as media_providers
from services.profile import store as profile_store
from services.protocol import at_rest
from services.sessions import key_store
from services.settings import app_settings
from services.settings.setting_kinds import PatchContext

PAYLOAD_FORMAT = 1


@dataclass(frozen=True)
class Installation:
    """Where a backup is read from or restored to."""

    db: Database
    master_key: at_rest.Keys
    initial_shards: int  # WA_SHARDS: the count of a database that never stored one
    now: datetime


Writer = Callable[[Installation], None]


@dataclass(frozen=True)
class Checks:
    """What a section's values are checked against: the restoring installation's PATCH
    context (its webhook URL policy) and the time certificates must be valid at."""

    patch: PatchContext
    now: datetime


@dataclass(frozen=True)
class Section:
    name: str
    export: Callable[[Installation], Any]
    prepare: Callable[[Any, Checks], Writer] | None
    """What the backup holds of the section, checked (ValueError) into the write that
    restores it; None: carried for the record only (the keys: a restore rotates them)."""


class UnreadablePayload(ValueError):
    """The blob opened (the password was right) but its content is not a backup we can
    restore; ``str()`` is safe to show."""


def _prepare_settings(values: Any, checks: Checks) -> Writer:
    checked = app_settings.restorable_values(values, checks.patch)
    return lambda at: app_settings.replace_values(at.db, checked)


def _prepare_certificates(exported: Any, checks: Checks) -> Writer:
    checked = certificates_store.parse_export(exported, checks.now)
    return lambda at: certificates_store.import_all(at.db, at.master_key, checked, at.now)


def _prepare_media_providers(exported: Any, checks: Checks) -> Writer:
    checked = media_providers.parse_export(exported)

    def write(at: Installation) -> None:
        for provider in checked:
            media_providers.save(at.db, at.master_key, provider)

    return write


def _prepare_two_step(pin: Any, checks: Checks) -> Writer:
    # The network keeps the PIN's verifier for the number; the account keeps the PIN
    # (sealed) to check shard changes and re-registrations against it.
    if pin is not None and not two_step_rules.is_pin(pin):
        raise ValueError("the backup's two-step PIN is unreadable")
    if pin is None:
        return lambda at: account_store.clear_two_step(at.db)
    return lambda at: account_store.record_two_step(at.db, at.master_key, pin)


def _prepare_profile(exported: Any, checks: Checks) -> Writer:
    # Restored as the network last had it: the next change publishes a newer revision of
    # the same epoch instead of a first revision that would replace everything there.
    if exported is None:
        # Never set on the source: a profile set here before the restore stays, and is
        # published to the restored number.
        return lambda at: None
    checked = profile_store.parse_export(exported)
    return lambda at: profile_store.restore(at.db, checked)


def _prepare_shards(shards: Any, checks: Checks) -> Writer:
    # A multiconnect install comes back with its shard count (spec §10.1, §16).
    if not isinstance(shards, int) or isinstance(shards, bool) or shards not in ALLOWED_SHARD_COUNTS:
        raise ValueError("the backup's shard count is not one of " + ", ".join(map(str, ALLOWED_SHARD_COUNTS)))

    def write(at: Installation) -> None:
        shard_shape.change(at.db, shards, at.initial_shards)

    return write


SECTIONS: tuple[Section, ...] = (
    Section("settings", lambda at: app_settings.export_values(at.db), _prepare_settings),
    Section("media_providers", lambda at: media_providers.export_all(at.db, at.master_key),
            _prepare_media_providers),
    Section("certificates", lambda at: certificates_store.export_all(at.db, at.master_key), _prepare_certificates),
    Section("shards", lambda at: shard_shape.read(at.db, at.initial_shards).shards, _prepare_shards),
    Section("two_step", lambda at: account_store.two_step_pin(at.db, at.master_key), _prepare_two_step),
    Section("keys", lambda at: key_store.export_keys(at.db, at.master_key), None),
    Section("profile", lambda at: profile_store.export(at.db), _prepare_profile),
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
    writers: tuple[Writer, ...]
    """One per section the backup holds (a section an older backup lacks is left as it is)."""


def read(payload: dict[str, Any], checks: Checks) -> Restorable:
    """The payload checked, every section included, each value as the live endpoint
    checks it, before anything is written; UnreadablePayload otherwise."""
    if payload.get("format") != PAYLOAD_FORMAT:
        raise UnreadablePayload(f"the backup's content format {str(payload.get('format'))[:10]!r} is not supported")
    held = payload.get("sections")
    if not isinstance(held, dict):
        raise UnreadablePayload("the backup holds no sections")
    try:
        registration = RestorableRegistration.from_dict(payload.get("registration"))
        writers = tuple(section.prepare(held[section.name], checks) for section in SECTIONS
                        if section.prepare is not None and section.name in held)
    except ValueError as error:
        raise UnreadablePayload(str(error)) from None
    return Restorable(registration, writers)


def restore_sections(installation: Installation, restorable: Restorable) -> None:
    """Every section the backup holds, written through its domain (the registration is
    the core's, after the network step)."""
    for write in restorable.writers:
        write(installation)
