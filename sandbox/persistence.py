"""``--state-file``: the state survives any stop, a SIGKILL included, as it was at the
last answer.

Two files, both mode 0600 (they hold the private keys of the sandbox and its phones):

- ``PATH``, a JSON snapshot of the whole state and the change counter it covers
  (``journal_seq``), replaced atomically (write, fsync, rename, fsync the directory);
- ``PATH.journal``, the changes since (sandbox/journal.py): one line per batch, appended
  and fsync'd.

Group commit: one writer task takes every change made since its previous write as one
batch (sandbox/changes.py), writes and fsyncs it in a thread while the event loop goes
on, then releases whoever waits for it (:meth:`DurableStore.durable`); what changes
during a write goes into the next batch, so a burst costs one fsync per write, not one
per change. Every HTTP answer and every WebSocket push waits for the changes made
before it (sandbox/app.py, sandbox/network/connection.py): nothing answered is lost.

At start the snapshot is loaded, the journal's intact batches newer than it are
replayed, and a new snapshot replaces both (an empty journal). A snapshot is also
written when the journal reaches ``compact_bytes`` or, when it is not empty, every
``snapshot_interval`` seconds, and on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from pathlib import Path

from sandbox.changes import Batch, Changes
from sandbox.durable_files import fsync_directory, write_all
from sandbox.errors import ApiError
from sandbox.journal import encode_batch, read_batches
from sandbox.state import SandboxState

log = logging.getLogger(__name__)

JOURNAL_SUFFIX = ".journal"
COMPACT_BYTES = 4 * 1024 * 1024
"""Journal size that triggers a snapshot: bounds the replay at start to well under a second."""
SNAPSHOT_INTERVAL = 30.0
DURABLE_TIMEOUT = 10.0
"""Longest an answer waits for its changes to reach the disk before it is a 503."""
RETRY_DELAY = 0.5
FILE_MODE = 0o600


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + JOURNAL_SUFFIX)


def state_unavailable() -> ApiError:
    return ApiError(503, "state_unavailable", "the sandbox could not write its state file")


def load_state(path: Path) -> tuple[SandboxState, int]:
    """The state as of the last durable change, and the change counter it reached."""
    started = time.monotonic()
    changes = Changes()
    seq = 0
    if path.exists():
        data = json.loads(path.read_bytes())
        state = SandboxState.from_dict(data, changes)
        seq = int(data.get("journal_seq", 0))
    else:
        state = SandboxState(changes)
    journal = journal_path(path)
    if journal.exists():
        raw = journal.read_bytes()
        batches, intact = read_batches(raw)
        replayed = 0
        for batch in batches:
            if batch.seq > seq:  # older ones are in the snapshot already
                state.apply_batch(batch)
                seq = batch.seq
                replayed += 1
        log.info("sandbox journal: %d batches replayed, %d bytes of torn tail dropped", replayed, len(raw) - intact)
    if path.exists():
        log.info("sandbox state loaded from %s in %.0f ms", path, (time.monotonic() - started) * 1000)
    changes.seq = seq
    return state, seq


def save_state(state: SandboxState, path: Path, seq: int = 0) -> None:
    """Write the snapshot atomically (mode 0600)."""
    data = dict(state.to_dict(), journal_seq=seq)
    _write_snapshot(path, json.dumps(data, separators=(",", ":")).encode("utf-8"))


def _write_snapshot(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_directory(path.parent)


class DurableStore:
    """The commit barrier over one state and its files (see the module docstring)."""

    def __init__(
        self,
        state: SandboxState,
        path: Path,
        *,
        snapshot_interval: float = SNAPSHOT_INTERVAL,
        compact_bytes: int = COMPACT_BYTES,
    ) -> None:
        self.state = state
        self.changes = state.changes
        self.path = path
        self.journal = journal_path(path)
        self.snapshot_interval = snapshot_interval
        self.compact_bytes = compact_bytes
        self._durable_seq = self.changes.seq
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._fd: int | None = None
        self._size = 0  # bytes of intact journal
        self._last_snapshot = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.writes = 0
        """Journal writes (fsyncs) so far, for measurements."""

    # -- lifecycle -------------------------------------------------------------
    def open(self) -> None:
        """Fold the replayed journal into a new snapshot, start an empty journal and
        collect changes from now on."""
        save_state(self.state, self.path, self.changes.seq)
        self._fd = os.open(self.journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        os.fchmod(self._fd, FILE_MODE)
        os.ftruncate(self._fd, 0)
        os.fsync(self._fd)
        self._durable_seq = self.changes.seq
        self.changes.enabled = True
        self.changes.on_change = self._wake.set

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sandbox-journal")

    async def close(self) -> None:
        """Write whatever is left as a snapshot (the journal is emptied)."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            self._snapshot_now()
        finally:
            self.changes.enabled = False
            self.changes.on_change = lambda: None
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    # -- the barrier ------------------------------------------------------------
    async def durable(self) -> None:
        """Return once every change made so far is on disk; ApiError 503 otherwise."""
        target = self.changes.seq
        if target <= self._durable_seq:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(future), DURABLE_TIMEOUT)
        except TimeoutError:
            raise state_unavailable() from None

    def _release(self, seq: int, error: ApiError | None = None) -> None:
        """Waiters for changes up to ``seq``: done (or failed with ``error``)."""
        if error is None:
            self._durable_seq = max(self._durable_seq, seq)
        keep: list[tuple[int, asyncio.Future[None]]] = []
        for target, future in self._waiters:
            if future.done():
                continue
            if target > seq:
                keep.append((target, future))
            elif error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
        self._waiters = keep

    # -- the writer --------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.snapshot_interval)
            self._wake.clear()
            if self._closing:
                return
            if not self.changes.pending() and not self._snapshot_due():
                continue
            batch = self.changes.take()
            try:
                if self._snapshot_due():
                    data = self._snapshot_bytes(batch.seq)
                    await asyncio.to_thread(self._replace_snapshot, data)
                else:
                    line = encode_batch(batch.seq, [(k, self.state.dump_record(k)) for k in batch.keys], batch.log)
                    await asyncio.to_thread(self._append, line)
            except Exception as exc:  # OSError mostly; the batch is written with the next one
                log.error("could not write the sandbox state (%s); retrying", type(exc).__name__)
                self.changes.put_back(batch)
                self._release(batch.seq, state_unavailable())
                await asyncio.sleep(RETRY_DELAY)
                self._wake.set()
                continue
            self._release(batch.seq)

    def _snapshot_due(self) -> bool:
        if self._size >= self.compact_bytes:
            return True
        return self._size > 0 and time.monotonic() - self._last_snapshot >= self.snapshot_interval

    def _append(self, line: bytes) -> None:
        assert self._fd is not None
        try:
            write_all(self._fd, line)
            os.fsync(self._fd)
        except OSError:
            # A partial line would hide every later batch from a replay.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            raise
        self._size += len(line)
        self.writes += 1

    def _snapshot_bytes(self, seq: int) -> bytes:
        data = dict(self.state.to_dict(), journal_seq=seq)
        return json.dumps(data, separators=(",", ":")).encode("utf-8")

    def _replace_snapshot(self, data: bytes) -> None:
        """The snapshot covers the journal: replace it, then empty the journal (a crash
        in between is harmless: a replay skips batches the snapshot covers)."""
        assert self._fd is not None
        _write_snapshot(self.path, data)
        os.ftruncate(self._fd, 0)
        os.fsync(self._fd)
        self._size = 0
        self._last_snapshot = time.monotonic()

    def _snapshot_now(self) -> None:
        batch: Batch = self.changes.take()
        self._replace_snapshot(self._snapshot_bytes(batch.seq))
        self._release(batch.seq)
