"""Two-step verification at the network: the PIN's verifier, never the PIN.

A business that turns two-step on gives the network its 6-digit PIN once; the network
keeps a salted PBKDF2-SHA256 of it (``{"salt", "iterations", "hash"}``, hex) and from
then on refuses a registration of that number that does not carry the same PIN
(docs/sandbox.md "Two-step verification"). Six digits are a small space: the salt and
the iterations only keep a leaked state file from being a table lookup away from the
PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, TypeGuard

ITERATIONS = 100_000
SALT_BYTES = 16


def make_verifier(pin: str, *, iterations: int = ITERATIONS) -> dict[str, Any]:
    salt = secrets.token_bytes(SALT_BYTES)
    return {"salt": salt.hex(), "iterations": iterations, "hash": _derive(pin, salt, iterations).hex()}


def matches(verifier: dict[str, Any], pin: Any) -> bool:
    if not isinstance(pin, str):
        return False
    derived = _derive(pin, bytes.fromhex(verifier["salt"]), int(verifier["iterations"]))
    return hmac.compare_digest(derived, bytes.fromhex(verifier["hash"]))


def is_pin(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()


def _derive(pin: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
