"""``python -m services.migrations.reseal``: every sealed field under the newest master
key, so that an older key can be removed from the key file (docs/design.md "Keys").

Beside the migrations runner because, like it, it knows every domain: each domain that
owns a sealed field exposes ``reseal(db, keys) -> ResealCount`` and is listed in
:data:`RESEALERS` (a new domain that seals adds its function here). Safe while the
system runs, idempotent, batched (services/common/resealing.py). Prints one line per
collection and field; exits 1 when a blob could not be opened, since retiring a key
is then not known to be safe.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from pymongo.database import Database

from services.account import store as account_store
from services.certificates import store as certificate_store
from services.common.config import Config
from services.common.logging_setup import configure_logging
from services.common.master_key import load_master_key
from services.common.mongo import get_db
from services.common.resealing import ResealCount
from services.media import inbound_media, outbound_media
from services.media import providers as media_providers
from services.protocol.keyring import Keys
from services.sessions import key_store, session_store

Resealer = Callable[[Database, Keys], ResealCount]

RESEALERS: tuple[Resealer, ...] = (
    key_store.reseal,
    session_store.reseal,
    account_store.reseal,
    media_providers.reseal,
    outbound_media.reseal,
    inbound_media.reseal,
    certificate_store.reseal,
    account_store.reseal_two_step,
)


def reseal_all(db: Database, keys: Keys, resealers: tuple[Resealer, ...] = RESEALERS) -> list[ResealCount]:
    return [reseal(db, keys) for reseal in resealers]


def report(counts: list[ResealCount], newest_id: str) -> str:
    lines = [f"re-sealed under master key {newest_id!r}:"]
    lines += [f"  {c.collection}.{c.field}: {c.resealed} re-sealed, {c.already_newest} already under it, "
              f"{c.changed_meanwhile} changed meanwhile, {c.unreadable} unreadable" for c in counts]
    if all(count.complete for count in counts):
        lines.append("every sealed field opens under the newest key: older keys may be removed")
    elif not any(count.unreadable for count in counts):
        lines.append("some records were written meanwhile: run again (once every process has been restarted "
                     "with the newest key) before removing an older key")
    else:
        lines.append("some blobs open under no configured key (the log names them and their key ids): "
                     "put the key they need back in the key file and run again; keep the older keys until then")
    return "\n".join(lines)


def main() -> int:
    config = Config.from_env()
    configure_logging("reseal", config.log_level)
    keys = load_master_key(config)
    counts = reseal_all(get_db(config), keys)
    print(report(counts, keys.newest_id))
    return 0 if all(count.complete for count in counts) else 1


if __name__ == "__main__":
    sys.exit(main())
