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
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

ITERATIONS = 100_000
SALT_BYTES = 16
MAX_GUESSES = 5
"""PIN guesses a number allows before it is locked out (a right one starts the count again)."""
LOCKOUT_SECONDS = 300.0
"""How long a number refuses every PIN, the right one too, after ``MAX_GUESSES`` wrong ones."""


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


@dataclass
class _Guesses:
    count: int = 0
    locked_until: float = 0.0


@dataclass
class PinGuesses:
    """The PIN guesses of each number within a lockout window, in memory (a sandbox
    restart forgets them). A guess is counted when it starts, not when it is judged, so
    guesses sent at once cannot outrun the lockout."""

    clock: Callable[[], float] = time.monotonic
    _numbers: dict[str, _Guesses] = field(default_factory=dict)

    def start(self, wa_id: str) -> bool:
        """Whether ``wa_id`` may have its PIN checked now; counts the guess."""
        now = self.clock()
        guesses = self._numbers.setdefault(wa_id, _Guesses())
        if now < guesses.locked_until:
            return False
        if guesses.count >= MAX_GUESSES:  # the lockout ran out: a new window
            guesses.count = 0
        guesses.count += 1
        if guesses.count >= MAX_GUESSES:
            guesses.locked_until = now + LOCKOUT_SECONDS
        return True

    def forget(self, wa_id: str) -> None:
        """The right PIN was given, or the PIN changed: the count starts again."""
        self._numbers.pop(wa_id, None)
