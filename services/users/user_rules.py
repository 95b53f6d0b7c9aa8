"""The pure rules of managing API users (spec §4.4): which names may be created, how a
stored role reads on the wire, and who may read, change or delete whom.

A user name must be 4 to 32 characters and equal its own URL encoding (the original
compares it with PHP's ``rawurlencode``): letters, digits and ``-._~`` only, so that it
sits in ``/v1/users/{username}`` as it is. The name the monitoring API key acts under
(:data:`APIKEY_USERNAME`) cannot be created, in any case: a user of that name would
read as the key in the logs and audit of who called.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

MIN_USERNAME = 4
MAX_USERNAME = 32
USERNAME_DETAILS = (
    f"Username must be {MIN_USERNAME} to {MAX_USERNAME} characters of letters, digits and '-._~' "
    "(equal to its own URL encoding)"
)
RESERVED_DETAILS = "Username is reserved"
APIKEY_USERNAME = "apikey"
# The same rules as JSON Schema keywords (the OpenAPI document's): the characters that
# are their own URL encoding, and the reserved name in any case.
USERNAME_SCHEMA = {
    "type": "string", "minLength": MIN_USERNAME, "maxLength": MAX_USERNAME, "pattern": "^[A-Za-z0-9._~-]+$",
    "not": {"pattern": "^" + "".join(f"[{c.upper()}{c}]" for c in APIKEY_USERNAME) + "$"},
    "description": USERNAME_DETAILS,
}

WireRole = Literal["ROLE_ADMIN", "ROLE_USER"]


def username_problem(username: str) -> str | None:
    """Why ``username`` cannot be created, or None when it can."""
    if not MIN_USERNAME <= len(username) <= MAX_USERNAME or quote(username, safe="") != username:
        return USERNAME_DETAILS
    if username.lower() == APIKEY_USERNAME:
        return RESERVED_DETAILS
    return None


def role_on_wire(stored_role: str, admin_role: str) -> WireRole:
    """``ROLES`` as ``GET /v1/users/{username}`` answers it: only the admin's stored role
    is ROLE_ADMIN; anything else is a plain user."""
    return "ROLE_ADMIN" if stored_role == admin_role else "ROLE_USER"


def may_manage(caller: str, caller_is_admin: bool, target: str) -> bool:
    """Whether ``caller`` may read or change the password of ``target``: the admin may
    any user, everyone else only itself."""
    return caller_is_admin or caller == target
