"""``Idempotency-Key`` on ``POST /v1/messages`` (an extension; services/api_gateway/README.md):
the header, the body it is bound to, and the answer to a key sent again.

The same key from the same API user within 24 hours answers what the first request
answered (201 with the same message id) and stores and sends nothing more, also when
the two requests run at the same time. The model is Stripe's and the IETF httpapi
``Idempotency-Key`` draft: only an accepted request is remembered (a 4xx leaves the key
unused), and the key sent again with a different body is refused (422/1009). How the
keys are stored so that one key never gives two messages: services/messages/idempotency.py.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from services.common.errors import ApiError
from services.messages.idempotency import Record

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"  # "true" on an answer repeated from the record

INVALID_KEY = f"Header '{HEADER}' must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"
KEY_REUSED = f"Header '{HEADER}' was already used with a different request body"


def parse_key(value: str | None) -> str | None:
    """The header's key (None when the header is absent); 1009 when it is malformed.

    Printable ASCII (space to ``~``), 1 to 255 characters, taken verbatim: a key sent
    in the draft's quoted form is a different key from the same text unquoted.
    """
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in value):
        raise ApiError(1009, INVALID_KEY)
    return value


def request_hash(body: Any) -> str:
    """The body as JSON with sorted keys and no spaces, hashed: the same request sent
    again with its keys in another order or otherwise spaced counts as the same."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def replayed_id(record: Record, body_hash: str) -> str:
    """The message id to answer for a request whose key has ``record``; 422/1009 when
    the key came with another body (the draft's "key reused" case)."""
    if record.request_hash != body_hash:
        raise ApiError(1009, KEY_REUSED, http_status=422)
    return record.message_id
