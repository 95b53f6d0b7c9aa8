"""The master keys that seal private keys, sessions and credentials at rest, read from
the key file (docs/design.md "Keys").

The file (``WA_KEY_FILE``) is either 32 raw bytes, one key (the format of a key file
created on first use), or ``id:base64`` lines, newest last
(services/protocol/keyring.py). It comes from a file, never from the environment: an
environment leaks through /proc/<pid>/environ, child processes, crash reports and
``docker inspect``.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

from services.common.config import Config
from services.protocol.errors import ProtocolError
from services.protocol.keyring import KEY_LEN, Keyring, parse_keyring

KEY_SIZE = KEY_LEN

log = logging.getLogger(__name__)


def load_master_key(config: Config) -> Keyring:
    """The configured keyring; a missing key file is created with one new raw key."""
    return _load_or_create(config.key_file)


def _load_or_create(path: Path) -> Keyring:
    path = path.resolve()
    if path.exists():
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_SIZE)
    # O_EXCL: when several processes start at once, exactly one creates the key and
    # the others read it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _wait_for(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return Keyring.single(key)


def _read(path: Path) -> Keyring:
    if path.stat().st_mode & 0o077:
        log.warning("master key file %s can be read by other users than its owner: chmod 600 it", path)
    try:
        return parse_keyring(path.read_bytes())
    except ProtocolError as exc:
        raise ValueError(f"master key file {path}: {exc}") from exc


def _wait_for(path: Path) -> Keyring:
    # The creator writes its 32 bytes right after creating the file.
    for _ in range(50):
        if len(path.read_bytes()) == KEY_SIZE:
            break
        time.sleep(0.05)
    return _read(path)
