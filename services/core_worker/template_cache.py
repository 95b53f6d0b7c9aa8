"""The business's templates, cached in MongoDB from the network (docs/design.md "Templates").

The cache (services/templates/store.py) is refreshed on the network's ``templates``
notification, after registration, and by the ``core.sync_templates`` control RPC that
the gateway calls when a send names a template the cache does not have.
"""

from __future__ import annotations

import logging
from typing import Any

from services.account import store as account_store
from services.core_worker import notifications
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkError, NetworkRejected
from services.templates import store as template_store

log = logging.getLogger(__name__)


def sync(ctx: CoreContext) -> int:
    """Fetch the templates from the network into the cache; raises NetworkError."""
    account = account_store.load_registered(ctx.db, ctx.master_key)
    if account is None:
        return 0
    count = template_store.replace_all(ctx.db, ctx.network(account.network_token).templates())
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

