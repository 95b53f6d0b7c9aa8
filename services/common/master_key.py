"""The master key that seals private keys, sessions and network credentials at rest."""

from __future__ import annotations

import base64
import os
import secrets
import time
from pathlib import Path

from services.common.config import Config

KEY_SIZE = 32


def load_master_key(config: Config) -> bytes:
    if config.master_key_b64:
        key = base64.b64decode(config.master_key_b64)
        if len(key) != KEY_SIZE:
            raise ValueError("WA_MASTER_KEY must be 32 bytes, base64-encoded")
        return key
    return _load_or_create(config.key_file)


def _load_or_create(path: Path) -> bytes:
    path = path.resolve()
    if path.exists():
        key = path.read_bytes()
        if len(key) != KEY_SIZE:
            raise ValueError(f"master key file {path} must hold exactly {KEY_SIZE} bytes")
        return key
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
    return key


def _wait_for(path: Path) -> bytes:
    for _ in range(50):
        key = path.read_bytes()
        if len(key) == KEY_SIZE:
            return key
        time.sleep(0.05)
    raise ValueError(f"master key file {path} is incomplete")
