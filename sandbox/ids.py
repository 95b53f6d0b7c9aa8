"""Identifiers.

Messages sent by virtual phones get ids shaped like On-Prem's inbound ids
(``ABGG...``): base64 (standard alphabet, no padding) of 20 bytes whose first three
are 0x00 0x11 0x86. Draws repeat until the text is alphanumeric so ids survive URLs.
"""

from __future__ import annotations

import base64
import secrets

INBOUND_PREFIX = b"\x00\x11\x86"


def alnum_base64_id(prefix: bytes, size: int = 20) -> str:
    while True:
        raw = prefix + secrets.token_bytes(size - len(prefix))
        text = base64.b64encode(raw).decode("ascii").rstrip("=")
        if text.isalnum():
            return text


def phone_message_id() -> str:
    return alnum_base64_id(INBOUND_PREFIX)


def item_id() -> str:
    """A server item id (envelopes and receipts queued in mailboxes)."""
    return secrets.token_hex(12)
