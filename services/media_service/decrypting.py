"""A received file decrypted as it streams, readable like a file, that never lets the
file's last byte out before the MAC and the hashes verified. Pure: no I/O of its own.

``services.protocol.media``'s decryptor returns plaintext before it can authenticate it
(that is only known at the end). The object store reads this reader to its end, so
it sees every byte, but the *last* one leaves only after ``finalize`` succeeded: an
object whose write completed therefore holds a verified file, and any failure (bad
MAC or hash, wrong length, a download cut short) raises from ``read`` before that,
which makes the store abort what it had begun. This holds whether the store asks for
exactly ``length`` bytes or reads until the end.
"""

from __future__ import annotations

from collections.abc import Iterator

from services.protocol.media import MediaDecryptor


class DecryptingReader:
    def __init__(self, ciphertext: Iterator[bytes], decryptor: MediaDecryptor, length: int) -> None:
        """``ciphertext``: the encrypted file's chunks; ``length``: the announced plaintext
        length (the decryptor checks it too)."""
        self._source = ciphertext
        self._decryptor = decryptor
        self.length = length
        self._buffer = bytearray()
        self._given = 0
        self._verified = False

    def read(self, size: int = -1, /) -> bytes:
        wanted = self.length + 1 if size is None or size < 0 else size
        # Pull until the request is covered with at least one byte held back, or the end.
        while not self._verified and len(self._buffer) < wanted + 1:
            self._pull()
        if not self._verified:
            wanted = min(wanted, len(self._buffer) - 1)  # the last byte waits for finalize
        out = bytes(self._buffer[:wanted])
        del self._buffer[:wanted]
        self._given += len(out)
        return out

    def _pull(self) -> None:
        chunk = next(self._source, None)
        if chunk is None:
            self._buffer += self._decryptor.finalize()  # raises a MediaError on any mismatch
            self._verified = True
        elif chunk:
            self._buffer += self._decryptor.update(chunk)
