"""The core's ``ProtocolClient``: the shared recipe over our MongoDB stores (services/sessions)."""

from __future__ import annotations

from services.core_worker.context import CoreContext
from services.protocol import ProtocolClient
from services.sessions.key_store import MongoKeyStore
from services.sessions.session_store import MongoSessionStore


def build(ctx: CoreContext) -> ProtocolClient:
    """A client for one unit of work (an outbound batch, an inbound envelope). Share it
    across the unit rather than build one per message: the identity key is then read
    at most once, and only if a new session needs it."""
    return ProtocolClient(MongoKeyStore(ctx.db, ctx.master_key), MongoSessionStore(ctx.db, ctx.master_key))
