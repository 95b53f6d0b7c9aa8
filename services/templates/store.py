"""The cache of the business's templates in MongoDB (docs/design.md "Templates"): the
one module that reads or writes ``templates`` and the ``templates`` sync marker.

``templates`` holds one document per namespace + name + language, as the network
lists it (components and status, every status); ``sync_markers`` ``{_id: "templates"}``
says when the cache was last refreshed. The core fills it from the network
(services/core_worker/template_cache.py); the gateway resolves sends against it and
the core checks a template's current status before sending.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReplaceOne
from pymongo.database import Database

from services.common.clock import utcnow

FIELDS = ("id", "namespace", "name", "language", "category", "components", "status")


# -- pure ------------------------------------------------------------------
def template_key(namespace: str, name: str, language: str) -> str:
    return f"{namespace}:{name}:{language}"


def document(template: dict[str, Any]) -> dict[str, Any] | None:
    """The cache document of a template as the network lists it; None when it is
    malformed (it is left out of the cache)."""
    if not all(isinstance(template.get(name), str) for name in ("namespace", "name", "language", "status")):
        return None
    if not isinstance(template.get("components"), list):
        return None
    doc = {name: template.get(name) for name in FIELDS}
    doc["_id"] = template_key(template["namespace"], template["name"], template["language"])
    return doc


# -- MongoDB ---------------------------------------------------------------
def replace_all(db: Database, templates: list[Any]) -> int:
    """Make the cache what the network said: upsert each template, drop the others;
    returns how many templates the cache holds now."""
    docs = [doc for doc in (document(t) for t in templates if isinstance(t, dict)) if doc is not None]
    now = utcnow()
    if docs:
        db.templates.bulk_write(
            [ReplaceOne({"_id": doc["_id"]}, {**doc, "synced_at": now}, upsert=True) for doc in docs],
            ordered=False,
        )
    db.templates.delete_many({"_id": {"$nin": [doc["_id"] for doc in docs]}})
    db.sync_markers.update_one(
        {"_id": "templates"}, {"$set": {"synced_at": now, "count": len(docs)}}, upsert=True
    )
    return len(docs)


def translations(db: Database, namespace: str, name: str) -> list[dict[str, Any]]:
    """Every language of a template, as the network listed them (no cache fields)."""
    return list(db.templates.find({"namespace": namespace, "name": name}, {"_id": 0, "synced_at": 0}))


def current_status(db: Database, namespace: str, name: str, language: str) -> str | None:
    doc = db.templates.find_one({"_id": template_key(namespace, name, language)}, {"status": 1})
    return doc.get("status") if doc else None


def current_statuses(db: Database, keys: list[str]) -> dict[str, str]:
    """The status of each cached template of ``keys`` (:func:`template_key`), in one query;
    a template the cache no longer has is left out."""
    return {doc["_id"]: doc.get("status") for doc in db.templates.find({"_id": {"$in": keys}}, {"status": 1})}
