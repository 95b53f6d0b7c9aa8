"""The business's templates, cached in MongoDB from the network (docs/design.md "Templates").

``templates`` holds one document per namespace + name + language, as the network
has it (components and status); ``sync_markers`` ``{_id: "templates"}`` says when the
cache was last refreshed. It is refreshed on the network's ``templates``
notification, after registration, and by the ``core.sync_templates`` control RPC that
the gateway calls when a send names a template the cache does not have.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo import ReplaceOne

from services.account import store as account_store
from services.common.clock import utcnow
from services.core_worker import notifications
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkError, NetworkRejected

log = logging.getLogger(__name__)

FIELDS = ("id", "namespace", "name", "language", "category", "components", "status")


def template_key(namespace: str, name: str, language: str) -> str:
    return f"{namespace}:{name}:{language}"


def _document(template: dict[str, Any]) -> dict[str, Any] | None:
    if not all(isinstance(template.get(name), str) for name in ("namespace", "name", "language", "status")):
        return None
    if not isinstance(template.get("components"), list):
        return None
    doc = {name: template.get(name) for name in FIELDS}
    doc["_id"] = template_key(template["namespace"], template["name"], template["language"])
    return doc


def store(ctx: CoreContext, templates: list[dict[str, Any]]) -> int:
    """Make the cache what the network said: upsert each template, drop the others."""
    docs = [doc for doc in (_document(t) for t in templates if isinstance(t, dict)) if doc is not None]
    now = utcnow()
    if docs:
        ctx.db.templates.bulk_write(
            [ReplaceOne({"_id": doc["_id"]}, {**doc, "synced_at": now}, upsert=True) for doc in docs],
            ordered=False,
        )
    ctx.db.templates.delete_many({"_id": {"$nin": [doc["_id"] for doc in docs]}})
    ctx.db.sync_markers.update_one(
        {"_id": "templates"}, {"$set": {"synced_at": now, "count": len(docs)}}, upsert=True
    )
    return len(docs)


def sync(ctx: CoreContext) -> int:
    """Fetch the templates from the network into the cache; raises NetworkError."""
    account = account_store.load_registered(ctx.db, ctx.master_key)
    if account is None:
        return 0
    count = store(ctx, ctx.network(account.network_token).templates())
    log.info("template cache refreshed: %d template(s)", count)
    return count


@notifications.handles("templates")
def on_templates_changed(ctx: CoreContext, notification: dict[str, Any]) -> None:
    # NetworkError propagates: the notification stays journaled and is retried.
    sync(ctx)


def sync_rpc(ctx: CoreContext) -> dict[str, Any]:
    """``core.sync_templates``: the control RPC's answer (docs/design.md "Gateway ↔ core")."""
    try:
        count = sync(ctx)
    except NetworkError as error:
        return {"error": {"code": 1014, "details": f"The network is unreachable: {error}"}}
    except NetworkRejected as error:
        return {"error": {"code": 1014, "details": f"The network refused the template request: {error.code}"}}
    return {"http_status": 200, "payload": {"templates": count}}


def current_status(ctx: CoreContext, namespace: str, name: str, language: str) -> str | None:
    doc = ctx.db.templates.find_one({"_id": template_key(namespace, name, language)}, {"status": 1})
    return doc.get("status") if doc else None
