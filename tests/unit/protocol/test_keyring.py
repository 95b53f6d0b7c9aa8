from __future__ import annotations

import base64

import pytest

from services.protocol.errors import ProtocolError
from services.protocol.keyring import LEGACY_ID, Keyring, as_keyring, format_keyring, parse_keyring

A, B = bytes([7]) * 32, bytes([9]) * 32


def _line(key_id: str, key: bytes) -> str:
    return f"{key_id}:{base64.b64encode(key).decode()}"


def test_thirty_two_raw_bytes_are_one_legacy_key() -> None:
    ring = parse_keyring(A)
    assert ring.ids == (LEGACY_ID,) and ring.newest == A


def test_lines_newest_last_with_comments_and_blanks() -> None:
    ring = parse_keyring(f"# rotated 2026-12\n\n{_line('old', A)}\n  {_line('new', B)}  \n".encode())
    assert ring.ids == ("old", "new")
    assert (ring.newest_id, ring.newest, ring.key("old")) == ("new", B, A)
    assert list(ring.newest_first()) == [B, A]
    assert parse_keyring(format_keyring(ring).encode()) == ring


@pytest.mark.parametrize("text", [
    "", "# only a comment\n", "no-colon\n", "a:not base64!\n", f"a:{base64.b64encode(b'short').decode()}\n",
    f"{_line('a', A)}\n{_line('a', B)}\n", f"{_line('bad id', A)}\n", f"{_line('', A)}\n",
])
def test_bad_key_files_are_refused(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_keyring(text.encode())


def test_errors_and_repr_never_show_a_key() -> None:
    secret = base64.b64encode(A).decode()
    with pytest.raises(ProtocolError) as refused:
        parse_keyring(f"x:{secret}\nx:{secret}\n".encode())
    assert secret not in str(refused.value)
    assert secret not in repr(Keyring.single(A)) and "legacy" in repr(Keyring.single(A))


def test_raw_bytes_are_a_keyring_of_one() -> None:
    assert as_keyring(A) == Keyring.single(A)
    ring = Keyring.single(B, "b")
    assert as_keyring(ring) is ring
    with pytest.raises(ProtocolError):
        as_keyring(A[:31])
