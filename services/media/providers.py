"""Media providers (spec §8.3): the credentials the media service presents when it
downloads the ``link`` of a media message that names ``provider.name``.

The ``media_providers`` collection, one document per provider:

    {_id: name, type: "www", auth: "bearer" | "basic", username?, hosts?, config_sealed, updated_at}

``config_sealed`` is the provider's ``config`` (``{"bearer": token}`` or ``{"basic":
{"username", "password"}}``, with ``"hosts"`` when it has them) sealed with the master
key, as the network token and the private keys are (services/protocol/at_rest.py,
context ``media-provider:<name>``), so a database dump holds no usable credential.

``hosts`` (an extension, issue 12): the ``host`` or ``host:port`` its credentials may go
to (services/common/egress_rules.py ``credentials_refusal``). A provider created without
it, as the original's clients create them, is stored, but its credentials go nowhere.
The clear copy serves ``GET`` and the gateway's check at send time; the media service,
which sends the credentials, trusts only the sealed one, so that whoever can write the
database cannot point the credentials elsewhere. ``GET`` answers them masked
(:func:`public`, docs/compatibility.md "Media providers"). The gateway writes them, the
media service reads them; nothing else touches the collection.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from pymongo.database import Database

from services.common.clock import utcnow
from services.common.resealing import ResealCount, reseal_field
from services.protocol import at_rest

COLLECTION = "media_providers"
TYPES = ("www",)
"""What ``type`` may be: ``www`` (an HTTP(S) server). The original also knows
``everstore``, Facebook's internal store, which nothing outside Meta can reach."""

Masked = Literal["********"]
"""The type of a shown secret: answer models refuse anything else."""
MASK: Final[str] = get_args(Masked)[0]
"""What ``GET`` shows in place of a secret."""


@dataclass(frozen=True, repr=False)
class Provider:
    name: str
    type: str
    bearer: str | None = None
    username: str | None = None
    password: str | None = None
    hosts: tuple[str, ...] | None = None
    """Where its credentials may go; None: nowhere (created without ``hosts``)."""

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

    def sealed_fields(self) -> dict[str, Any]:
        """What is sealed: the ``config``, and the ``hosts`` bound to it."""
        fields = self.config()
        if self.hosts is not None:
            fields["hosts"] = list(self.hosts)
        return fields

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
    shown: dict[str, Any] = {"name": doc["_id"], "type": doc["type"], "config": config}
    if doc.get("hosts") is not None:
        shown["hosts"] = list(doc["hosts"])
    return shown


def save(db: Database, master_key: at_rest.Keys, provider: Provider) -> None:
    """Create the provider, or replace the one of the same name."""
    sealed = at_rest.seal(master_key, json.dumps(provider.sealed_fields()).encode(), _context(provider.name))
    fields: dict[str, Any] = {"type": provider.type, "auth": provider.auth, "config_sealed": sealed,
                              "updated_at": utcnow()}
    update: dict[str, Any] = {"$set": fields}
    unset: dict[str, str] = {}
    if provider.username is not None:
        fields["username"] = provider.username
    else:
        unset["username"] = ""
    if provider.hosts is not None:
        fields["hosts"] = list(provider.hosts)
    else:
        unset["hosts"] = ""
    if unset:
        update["$unset"] = unset
    db[COLLECTION].update_one({"_id": provider.name}, update, upsert=True)


def listed(db: Database) -> list[dict[str, Any]]:
    """Every provider as ``GET`` shows it, by name."""
    return [public(doc) for doc in db[COLLECTION].find({}, {"config_sealed": 0}).sort("_id", 1)]


def exists(db: Database, name: str) -> bool:
    return db[COLLECTION].find_one({"_id": name}, {"_id": 1}) is not None


def stored_hosts(db: Database, name: str) -> tuple[str, ...] | None:
    """The clear copy of a provider's ``hosts`` (for the gateway's check at send time);
    None when it has none or does not exist."""
    doc = db[COLLECTION].find_one({"_id": name}, {"hosts": 1})
    hosts = (doc or {}).get("hosts")
    return tuple(hosts) if hosts is not None else None


def load(db: Database, master_key: at_rest.Keys, name: str) -> Provider | None:
    """The provider with its credentials opened, or None when there is none."""
    doc = db[COLLECTION].find_one({"_id": name})
    if doc is None:
        return None
    config = json.loads(at_rest.open_sealed(master_key, bytes(doc["config_sealed"]), _context(name)))
    hosts = tuple(config["hosts"]) if config.get("hosts") is not None else None
    if "bearer" in config:
        return Provider(name, doc["type"], bearer=config["bearer"], hosts=hosts)
    basic = config["basic"]
    return Provider(name, doc["type"], username=basic["username"], password=basic["password"], hosts=hosts)


def export_all(db: Database, master_key: at_rest.Keys) -> list[dict[str, Any]]:
    """Every provider with its credentials in the clear, for a backup (only ever inside
    its AEAD, services/backup/)."""
    exported = []
    for doc in db[COLLECTION].find({}, {"_id": 1}).sort("_id", 1):
        provider = load(db, master_key, doc["_id"])
        if provider is not None:
            exported.append({"name": provider.name, "type": provider.type, **provider.sealed_fields()})
    return exported


def parse_export(exported: Any) -> list[Provider]:
    """``export_all``' answer of another installation; ValueError for what it cannot have made."""
    if not isinstance(exported, list):
        raise ValueError("the backup's media providers are unreadable")
    providers = []
    for item in exported:
        try:
            basic = item.get("basic") or {}
            secrets = (item.get("bearer"), basic.get("username"), basic.get("password"))
            if not all(value is None or isinstance(value, str) for value in secrets):
                raise ValueError("not a credential")
            hosts = tuple(str(host) for host in item["hosts"]) if item.get("hosts") is not None else None
            providers.append(Provider(str(item["name"]), str(item["type"]), bearer=secrets[0], username=secrets[1],
                                      password=secrets[2], hosts=hosts))
        except (AttributeError, KeyError, TypeError, ValueError):
            raise ValueError("the backup's media providers are unreadable") from None
    return providers


def delete(db: Database, name: str) -> bool:
    """False when there was no such provider."""
    return db[COLLECTION].delete_one({"_id": name}).deleted_count == 1


def reseal(db: Database, keys: at_rest.Keys) -> ResealCount:
    """Every provider's credentials under the newest master key (services/common/resealing.py)."""
    return reseal_field(db[COLLECTION], "config_sealed", lambda doc: _context(doc["_id"]), keys)
