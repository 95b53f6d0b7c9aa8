"""Message identifiers in the shapes On-Prem clients know.

Outbound message ids look like ``gBEGkYiEB1VXAglK1ZEqA1YKPrU``: base64 of 20 bytes
whose first three are 0x80 0x11 0x06 (that is what "gBEG" decodes to). Inbound ids,
made by the sender's device (the sandbox's phones here), look like
``ABGGFlA5FpafAgo6tHcNmNjXmuSf``: the same with 0x00 0x11 0x86.
"""

from __future__ import annotations

import base64
import secrets

OUTBOUND_PREFIX = b"\x80\x11\x06"
INBOUND_PREFIX = b"\x00\x11\x86"


def _alnum_base64(prefix: bytes, size: int = 20) -> str:
    # Keep drawing until the encoding has no '+' or '/': ids then survive URLs untouched.
    while True:
        raw = prefix + secrets.token_bytes(size - len(prefix))
        text = base64.b64encode(raw).decode("ascii").rstrip("=")
        if text.isalnum():
            return text


def outbound_message_id() -> str:
    return _alnum_base64(OUTBOUND_PREFIX)


def inbound_message_id() -> str:
    return _alnum_base64(INBOUND_PREFIX)
