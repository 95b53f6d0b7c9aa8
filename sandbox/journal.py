"""The journal's format: one JSON line per batch of changes (pure, no I/O).

``{"seq": n, "set": [[key, value], ...], "log": [envelope, ...]}``: ``seq`` is the
change counter the batch reaches, each ``key`` (a JSON list) is set to ``value`` (null:
the record is gone) in order, and ``log`` is appended to the relay log. A batch is
only acknowledged once its line, newline included, is on disk (fsync'd); a line
without its newline is the torn tail of a write a SIGKILL interrupted, never
acknowledged, and is dropped whole so a batch applies all or nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sandbox.changes import Key


@dataclass(frozen=True)
class JournalBatch:
    seq: int
    records: list[tuple[Key, Any]]
    log: list[dict[str, Any]]


def encode_batch(seq: int, records: list[tuple[Key, Any]], log: list[dict[str, Any]]) -> bytes:
    line = {"seq": seq, "set": [[list(key), value] for key, value in records], "log": log}
    return json.dumps(line, separators=(",", ":")).encode("utf-8") + b"\n"


def decode_batch(line: bytes) -> JournalBatch:
    """One line (without its newline); ValueError when it is not a batch."""
    data = json.loads(line)
    if not isinstance(data, dict) or not isinstance(data.get("seq"), int):
        raise ValueError("not a journal batch")
    records = data.get("set", [])
    log = data.get("log", [])
    if not isinstance(records, list) or not isinstance(log, list):
        raise ValueError("not a journal batch")
    pairs: list[tuple[Key, Any]] = []
    for record in records:
        if not isinstance(record, list) or len(record) != 2 or not isinstance(record[0], list) or not record[0]:
            raise ValueError("not a journal record")
        pairs.append((tuple(record[0]), record[1]))
    return JournalBatch(data["seq"], pairs, log)


def read_batches(data: bytes) -> tuple[list[JournalBatch], int]:
    """The intact batches at the start of a journal file and the length in bytes they
    take. Reading stops at a line without newline (torn tail) or one that does not
    decode (the rest cannot be trusted to follow on from it)."""
    batches: list[JournalBatch] = []
    good = 0
    while True:
        end = data.find(b"\n", good)
        if end < 0:
            break
        try:
            batches.append(decode_batch(data[good:end]))
        except ValueError:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            break
        good = end + 1
    return batches, good
