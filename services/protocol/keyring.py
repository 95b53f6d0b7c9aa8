"""The master keys that seal secrets at rest, each with an id (docs/design.md "Keys").

Several keys may be configured: the newest (the last) seals, any of them opens a blob
that names it, so a key is rotated by adding a new one, re-sealing everything
(``python -m services.migrations.reseal``) and only then removing the old one.

The keyring file is text, one key per line, newest last::

    # comments and blank lines are ignored
    2026-01:<base64 of 32 random bytes>
    2026-12:<base64 of 32 random bytes>

A file of exactly 32 bytes is the older format, one raw key: it becomes a keyring of
one key whose id is :data:`LEGACY_ID` (a text line of a key is at least 46 bytes long,
so the two formats cannot be confused).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import ProtocolError

KEY_LEN = 32
LEGACY_ID = "legacy"
"""The id of a key given as 32 raw bytes (the single-key file, or ``bytes`` in code)."""

_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
"""Ids travel in every blob's header: short, printable, no separator."""


@dataclass(frozen=True, repr=False)
class Keyring:
    """Master keys by id, oldest first; the last one seals."""

    keys: tuple[tuple[str, bytes], ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ProtocolError("a keyring holds at least one key")
        seen: set[str] = set()
        for key_id, key in self.keys:
            check_key_id(key_id)
            if not isinstance(key, bytes) or len(key) != KEY_LEN:
                raise ProtocolError(f"master key {key_id!r} must be {KEY_LEN} bytes")
            if key_id in seen:
                raise ProtocolError(f"master key id {key_id!r} appears twice")
            seen.add(key_id)

    def __repr__(self) -> str:  # never a key in a log or a traceback
        return f"Keyring(ids={list(self.ids)!r})"

    @classmethod
    def single(cls, key: bytes, key_id: str = LEGACY_ID) -> Keyring:
        return cls(((key_id, key),))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id for key_id, _ in self.keys)

    @property
    def newest_id(self) -> str:
        return self.keys[-1][0]

    @property
    def newest(self) -> bytes:
        return self.keys[-1][1]

    def key(self, key_id: str) -> bytes | None:
        return dict(self.keys).get(key_id)

    def newest_first(self) -> Iterator[bytes]:
        return (key for _, key in reversed(self.keys))


Keys = Keyring | bytes
"""What ``seal`` and ``open_sealed`` accept: a keyring, or one raw key (a keyring of
one key, for code written before keys had ids)."""


def as_keyring(keys: Keys) -> Keyring:
    if isinstance(keys, Keyring):
        return keys
    if not isinstance(keys, bytes) or len(keys) != KEY_LEN:
        raise ProtocolError("master key must be 32 bytes")
    return Keyring.single(keys)


def check_key_id(key_id: object) -> str:
    if not isinstance(key_id, str) or not _ID_PATTERN.fullmatch(key_id):
        raise ProtocolError("a master key id is 1 to 64 of A-Z a-z 0-9 . _ -")
    return key_id


def parse_keyring(data: bytes) -> Keyring:
    """A key file's contents: 32 raw bytes (one key, :data:`LEGACY_ID`) or ``id:base64``
    lines, newest last. Errors name the line, never its key."""
    if len(data) == KEY_LEN:
        return Keyring.single(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"a key file is 32 raw bytes or 'id:base64' lines, not {len(data)} bytes") from exc
    keys = [_parse_line(number, line.strip())
            for number, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]
    return Keyring(tuple(keys))


def _parse_line(number: int, line: str) -> tuple[str, bytes]:
    key_id, colon, encoded = line.partition(":")
    if not colon:
        raise ProtocolError(f"key file line {number}: expected 'id:base64'")
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError(f"key file line {number}: the key is not base64") from exc
    if len(key) != KEY_LEN:
        raise ProtocolError(f"key file line {number}: the key must be {KEY_LEN} bytes, base64-encoded")
    return check_key_id(key_id.strip()), key


def format_keyring(keyring: Keyring) -> str:
    """The text form of a keyring, as :func:`parse_keyring` reads it."""
    return "".join(f"{key_id}:{base64.b64encode(key).decode('ascii')}\n" for key_id, key in keyring.keys)
