"""Optional JSON snapshot of the state (``--state-file``): written atomically at most
once a second when something changed, and on shutdown; loaded at start. The file
holds private keys of the sandbox and its phones, so it is created mode 0600."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from pathlib import Path

from sandbox.state import SandboxState

log = logging.getLogger(__name__)


def load_state(path: Path) -> SandboxState:
    if not path.exists():
        return SandboxState()
    with path.open("r", encoding="utf-8") as fh:
        state = SandboxState.from_dict(json.load(fh))
    log.info("sandbox state loaded from %s", path)
    return state


def save_state(state: SandboxState, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps(state.to_dict(), separators=(",", ":"))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class Snapshotter:
    def __init__(self, state: SandboxState, path: Path, interval: float = 1.0) -> None:
        self.state = state
        self.path = path
        self.interval = interval
        self._saved_version = state.version
        self._task: asyncio.Task[None] | None = None

    def save_if_dirty(self) -> None:
        version = self.state.version
        if version != self._saved_version:
            save_state(self.state, self.path)
            self._saved_version = version

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.save_if_dirty()
            except OSError:
                log.exception("could not write the sandbox state file")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.save_if_dirty()
