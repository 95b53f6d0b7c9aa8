"""Identifiers.

Messages sent by virtual phones get ids shaped like On-Prem's inbound ids (``ABGG...``,
see ``services.common.ids``), as a real device's would be.
"""

from __future__ import annotations

import secrets

from services.common.ids import INBOUND_PREFIX, inbound_message_id

__all__ = ["INBOUND_PREFIX", "item_id", "phone_message_id"]

phone_message_id = inbound_message_id


def item_id() -> str:
    """A server item id (envelopes and receipts queued in mailboxes)."""
    return secrets.token_hex(12)
