"""A contact moved to a new phone number (the network's ``user_changed_number``
notification, journaled on the shard of the old number).

The device and its identity key are the same, so what the business knows follows the
new number: the contact document (the old one records ``changed_to``, the new one
``changed_from`` and inherits the profile name and identity state) and the end-to-end
session, so the business can write to the new number at once, without a new X3DH.
With ``notify_user_change_number`` on (the default) the business also gets the §15.2
``customer_changed_number`` system message. Replaying the notification changes
nothing more and queues that callback once.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from services.callbacks import payloads as callback_payloads
from services.callbacks.outbox import enqueue_callback
from services.common.clock import utcnow
from services.contacts import directory
from services.core_worker import notifications
from services.core_worker.context import CoreContext
from services.sessions import session_store

log = logging.getLogger(__name__)

_WA_ID = re.compile(r"^[0-9]{5,20}$")


@dataclass(frozen=True)
class NumberChange:
    old: str
    new: str
    timestamp: int

    @property
    def message_id(self) -> str:
        """Deterministic: a replayed notification queues the same callback id."""
        digest = hashlib.sha256(f"changed_number:{self.old}:{self.new}:{self.timestamp}".encode()).hexdigest()
        return "SYS" + digest[:24].upper()


def parse(notification: dict[str, Any]) -> NumberChange | None:
    """The change a notification announces, or None when it is malformed."""
    old, new, timestamp = notification.get("old_wa_id"), notification.get("new_wa_id"), notification.get("timestamp")
    if not isinstance(old, str) or not isinstance(new, str) or not _WA_ID.match(old) or not _WA_ID.match(new):
        return None
    # It was journaled on the shard of "from": only then is it in order with old's messages.
    if old == new or notification.get("from") != old:
        return None
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp < 0:
        return None
    return NumberChange(old, new, timestamp)


def system_callback(change: NumberChange, profile_name: str | None) -> dict[str, Any]:
    """The §15.2 ``customer_changed_number`` callback."""
    user = profile_name or change.old
    return callback_payloads.system_message(
        wa_id=change.old, message_id=change.message_id, timestamp=change.timestamp,
        system={"body": f"User {user} changed from {change.old} to {change.new}", "new_wa_id": change.new,
                "type": "customer_changed_number"},
        about=callback_payloads.contact(change.new, profile_name),
    )


@notifications.handles("user_changed_number")
def on_number_changed(ctx: CoreContext, notification: dict[str, Any]) -> None:
    change = parse(notification)
    if change is None:
        log.warning("dropping a malformed user_changed_number notification")
        return
    # The session first: once the callback is out the business may write to the new number.
    _move_session(ctx, change)
    profile_name = directory.move_number(ctx.db, change.old, change.new, utcnow())
    log.info("contact changed number")
    if ctx.settings().get("notify_user_change_number"):
        enqueue_callback(ctx.db, ctx.celery, f"system:{change.message_id}", system_callback(change, profile_name))


def _move_session(ctx: CoreContext, change: NumberChange) -> None:
    db, key = ctx.db, ctx.master_key
    # A session the new number already has is newer than the old one (a replay, or the
    # contact wrote from the new number first and a retry built one): keep it.
    if session_store.load(db, key, change.new) is None:
        session = session_store.load(db, key, change.old)
        if session is not None:
            session_store.save(db, key, change.new, session)  # sealed again for its new wa_id
    session_store.delete(db, change.old)
