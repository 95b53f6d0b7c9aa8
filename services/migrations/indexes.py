"""Every collection's indexes, each declared by the domain package that owns it."""

from __future__ import annotations

from collections.abc import Callable

from pymongo.database import Database

from services.callbacks import outbox, service_runs
from services.cluster import nodes
from services.contacts import checks
from services.media import catalogue, inbound_media, outbound_media
from services.messages import gc as message_gc
from services.messages import idempotency, message_store
from services.profile import photos as profile_photos
from services.stats import publisher
from services.users import store as users_store

OWNERS: tuple[Callable[[Database], None], ...] = (
    users_store.ensure_indexes,
    message_store.ensure_indexes,
    idempotency.ensure_indexes,
    outbox.ensure_indexes,
    checks.ensure_indexes,
    catalogue.ensure_indexes,
    inbound_media.ensure_indexes,
    outbound_media.ensure_indexes,
    nodes.ensure_indexes,
    publisher.ensure_indexes,
    message_gc.ensure_indexes,
    profile_photos.ensure_indexes,
    service_runs.ensure_indexes,
)


def ensure_all(db: Database) -> None:
    """Create every index (``create_index`` is a no-op for one that exists)."""
    for ensure in OWNERS:
        ensure(db)
