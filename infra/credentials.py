"""Generated credentials of a run directory's servers: random at the first start, kept in
the run directory (owner-only files) and reused whenever its servers are started again,
so a persistent MongoDB keeps accepting the user it was given the first time."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Self

CREDENTIALS_FILE = "credentials.json"
MONGO_KEY_FILE = "mongo-keyfile"
MONGO_USER = "wa"


@dataclass(frozen=True)
class Credentials:
    mongo_user: str
    mongo_password: str
    redis_password: str
    mongo_key_file: Path  # the replica set members' shared secret (internal authentication)

    @classmethod
    def load_or_create(cls, run_dir: Path) -> Self:
        path = run_dir / CREDENTIALS_FILE
        key_file = run_dir / MONGO_KEY_FILE
        if not path.exists():
            # token_hex: both a URL-safe password and in the base64 alphabet mongod
            # requires of a keyFile.
            write_private(key_file, secrets.token_hex(48) + "\n")
            fresh = {"mongo_user": MONGO_USER, "mongo_password": secrets.token_hex(24),
                     "redis_password": secrets.token_hex(24)}
            write_private(path, json.dumps(fresh) + "\n")
        stored = json.loads(path.read_text())
        return cls(stored["mongo_user"], stored["mongo_password"], stored["redis_password"], key_file)

    def __repr__(self) -> str:
        # A credential never reaches a log or a traceback through its repr.
        return f"Credentials(mongo_user={self.mongo_user!r}, passwords=***)"


def write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only, before a byte of the secret is in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
