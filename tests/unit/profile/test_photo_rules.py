"""Which bytes are a profile photo, and what the download is called."""

from __future__ import annotations

import pytest

from services.profile import photo_rules
from services.profile.store import RETRY_FIRST, RETRY_MOST, retry_delay


@pytest.mark.parametrize("head, expected", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    (b"\xff\xd8\xff\xdb", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    (b"\x89PNG\r\n", None),  # a PNG signature cut short
    (b"GIF89a", None),
    (b"RIFF\x00\x00\x00\x00WEBP", None),
    (b"\xff\xd8", None),
    (b"", None),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
])
def test_sniff_knows_jpeg_and_png_by_their_bytes(head, expected):
    assert photo_rules.sniff(head) == expected


def test_the_sniffed_prefix_is_long_enough_for_every_signature():
    assert photo_rules.sniff(b"\x89PNG\r\n\x1a\n"[:photo_rules.SNIFF_BYTES]) == "image/png"


def test_filename_follows_the_type_and_defaults_to_the_originals():
    assert photo_rules.filename("image/jpeg") == "profilePicture.jpg"
    assert photo_rules.filename("image/png") == "profilePicture.png"
    assert photo_rules.filename("image/gif") == "profilePicture.jpg"


def test_retries_wait_twice_as_long_each_time_up_to_a_bound():
    delays = [retry_delay(attempts) for attempts in range(1, 12)]
    assert delays[0] == RETRY_FIRST and delays[1] == 2 * RETRY_FIRST and delays[2] == 4 * RETRY_FIRST
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False))
    assert delays[-1] == RETRY_MOST and retry_delay(10_000) == RETRY_MOST
