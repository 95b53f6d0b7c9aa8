"""What the gateway knows of the business's own assets, for the registry's ``resolve``
hooks (``services.message_types.base.BusinessEnvironment``): its templates, read from
the core's cache in MongoDB, refreshed through the core when a send misses it; its
media (the catalogue) and its media providers."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from services.api_gateway.account import control_rpc
from services.common.egress_rules import EgressAllow
from services.common.queues import SYNC_TEMPLATES
from services.media import catalogue
from services.media import providers as media_providers
from services.templates import store as template_store

SYNC_TIMEOUT_SECONDS = 5.0
"""How long a send waits for the core to refresh the template cache (then 1014)."""


class CachedBusiness:
    def __init__(self, db: Database, egress_allow: EgressAllow | None = None) -> None:
        self._db = db
        self._egress_allow = egress_allow or EgressAllow()

    def templates(self, namespace: str, name: str) -> list[dict[str, Any]]:
        return template_store.translations(self._db, namespace, name)

    def refresh_templates(self) -> None:
        control_rpc(SYNC_TEMPLATES, {}, timeout=SYNC_TIMEOUT_SECONDS)

    def media_type(self, media_id: str) -> str | None:
        parsed = catalogue.parse_id(media_id)
        medium = catalogue.find(self._db, parsed) if parsed is not None else None
        return medium.mime_type if medium is not None else None

    def has_media_provider(self, name: str) -> bool:
        return media_providers.exists(self._db, name)

    def media_provider_hosts(self, name: str) -> tuple[str, ...] | None:
        return media_providers.stored_hosts(self._db, name)

    def egress_allow(self) -> EgressAllow:
        return self._egress_allow
