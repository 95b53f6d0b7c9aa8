"""Content a WhatsApp user can send that the business client does not support.

Real users send things the On-Prem client has no type for (polls, disappearing
messages, ...); the business stores them and its webhook carries ``type: "unknown"``
with error 501 (spec §15.2). A virtual phone can send these kinds, and only these, so
that a misspelt type is still a 400 rather than a silent ``unknown``. They are
deliberately not in the message-type registry: that lists what the client knows.
"""

from __future__ import annotations

UNSUPPORTED_KINDS: dict[str, str] = {
    "poll": "a poll",
    "ephemeral": "a disappearing message",
}
"""Kind → what it stands for. The object sent with it is any JSON object."""
