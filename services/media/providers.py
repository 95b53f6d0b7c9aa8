"""Media providers (spec §8.3): the credentials the media service presents when it
downloads the ``link`` of a media message that names ``provider.name``.

The ``media_providers`` collection, one document per provider:

    {_id: name, type: "www", auth: "bearer" | "basic", username?, config_sealed, updated_at}

``config_sealed`` is the provider's ``config`` (``{"bearer": token}`` or ``{"basic":
{"username", "password"}}``) sealed with the master key, as the network token and the
private keys are (services/protocol/at_rest.py, context ``media-provider:<name>``), so a
database dump holds no usable credential. ``GET`` answers them masked
(:func:`public`, docs/compatibility.md "Media providers"). The gateway writes them, the
media service reads them; nothing else touches the collection.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from services.common.clock import utcnow
from services.common.resealing import ResealCount, reseal_field
from services.protocol import at_rest

COLLECTION = "media_providers"
TYPES = ("www",)
"""What ``type`` may be: ``www`` (an HTTP(S) server). The original also knows
``everstore``, Facebook's internal store, which nothing outside Meta can reach."""

MASK = "********"
"""What ``GET`` shows in place of a secret."""


@dataclass(frozen=True, repr=False)
class Provider:
    name: str
    type: str
    bearer: str | None = None
    username: str | None = None
    password: str | None = None

    def __post_init__(self) -> None:
        if (self.bearer is None) == (self.username is None or self.password is None):
            raise ValueError("a provider has exactly one of a bearer token and basic credentials")

    def __repr__(self) -> str:  # never a credential in a log or a traceback
        return f"Provider({self.name!r}, {self.type!r}, {self.auth})"

    @property
    def auth(self) -> str:
        return "bearer" if self.bearer is not None else "basic"

    def config(self) -> dict[str, Any]:
        """The ``config`` object as it was posted."""
        if self.bearer is not None:
            return {"bearer": self.bearer}
        return {"basic": {"username": self.username, "password": self.password}}

    def authorization(self) -> str:
        """The ``Authorization`` header of a download through this provider."""
        if self.bearer is not None:
            return f"Bearer {self.bearer}"
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


def _context(name: str) -> bytes:
    return f"media-provider:{name}".encode()


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored provider as ``GET`` shows it: the shape that was posted, secrets masked
    (the basic user name is not a secret and is shown, so one can tell accounts apart)."""
    if doc.get("auth") == "bearer":
        config: dict[str, Any] = {"bearer": MASK}
    else:
        config = {"basic": {"username": doc.get("username", ""), "password": MASK}}
    return {"name": doc["_id"], "type": doc["type"], "config": config}


def save(db: Database, master_key: at_rest.Keys, provider: Provider) -> None:
    """Create the provider, or replace the one of the same name."""
    sealed = at_rest.seal(master_key, json.dumps(provider.config()).encode(), _context(provider.name))
    fields: dict[str, Any] = {"type": provider.type, "auth": provider.auth, "config_sealed": sealed,
                              "updated_at": utcnow()}
    update: dict[str, Any] = {"$set": fields}
    if provider.username is not None:
        fields["username"] = provider.username
    else:
        update["$unset"] = {"username": ""}
    db[COLLECTION].update_one({"_id": provider.name}, update, upsert=True)


def listed(db: Database) -> list[dict[str, Any]]:
    """Every provider as ``GET`` shows it, by name."""
    return [public(doc) for doc in db[COLLECTION].find({}, {"config_sealed": 0}).sort("_id", 1)]


def exists(db: Database, name: str) -> bool:
    return db[COLLECTION].find_one({"_id": name}, {"_id": 1}) is not None


def load(db: Database, master_key: at_rest.Keys, name: str) -> Provider | None:
    """The provider with its credentials opened, or None when there is none."""
    doc = db[COLLECTION].find_one({"_id": name})
    if doc is None:
        return None
    config = json.loads(at_rest.open_sealed(master_key, bytes(doc["config_sealed"]), _context(name)))
    if "bearer" in config:
        return Provider(name, doc["type"], bearer=config["bearer"])
    basic = config["basic"]
    return Provider(name, doc["type"], username=basic["username"], password=basic["password"])


def delete(db: Database, name: str) -> bool:
    """False when there was no such provider."""
    return db[COLLECTION].delete_one({"_id": name}).deleted_count == 1


def reseal(db: Database, keys: at_rest.Keys) -> ResealCount:
    """Every provider's credentials under the newest master key (services/common/resealing.py)."""
    return reseal_field(db[COLLECTION], "config_sealed", lambda doc: _context(doc["_id"]), keys)
