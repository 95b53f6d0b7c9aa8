"""Every collection's indexes, each declared by the domain package that owns it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from pymongo.database import Database

from services.callbacks import outbox
from services.cluster import nodes
from services.contacts import checks
from services.media import catalogue, inbound_media, outbound_media
from services.messages import message_store
from services.stats import publisher

# An Idempotency-Key of POST /v1/messages is remembered this long (services/api_gateway/idempotency.py).
IDEMPOTENCY_WINDOW = timedelta(hours=24)


def _gateway_indexes(db: Database) -> None:
    db.tokens.create_index("expires_at", expireAfterSeconds=0)
    db.tokens.create_index("username")
    db.idempotency_keys.create_index("created_at", expireAfterSeconds=int(IDEMPOTENCY_WINDOW.total_seconds()))


OWNERS: tuple[Callable[[Database], None], ...] = (
    _gateway_indexes,
    message_store.ensure_indexes,
    outbox.ensure_indexes,
    checks.ensure_indexes,
    catalogue.ensure_indexes,
    inbound_media.ensure_indexes,
    outbound_media.ensure_indexes,
    nodes.ensure_indexes,
    publisher.ensure_indexes,
)


def ensure_all(db: Database) -> None:
    """Create every index (``create_index`` is a no-op for one that exists)."""
    for ensure in OWNERS:
        ensure(db)
