"""What the gateway knows of the business's own assets, for the registry's ``resolve``
hooks (``services.message_types.base.BusinessEnvironment``): its templates, read from
the core's cache in MongoDB, refreshed through the core when a send misses it."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from services.api_gateway.account import control_rpc
from services.common.queues import SYNC_TEMPLATES

SYNC_TIMEOUT_SECONDS = 5.0
"""How long a send waits for the core to refresh the template cache (then 1014)."""


class CachedBusiness:
    def __init__(self, db: Database) -> None:
        self._db = db

    def templates(self, namespace: str, name: str) -> list[dict[str, Any]]:
        return list(self._db.templates.find({"namespace": namespace, "name": name}, {"_id": 0, "synced_at": 0}))

    def refresh_templates(self) -> None:
        control_rpc(SYNC_TEMPLATES, {}, timeout=SYNC_TIMEOUT_SECONDS)
