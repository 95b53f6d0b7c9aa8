"""The pure rules of outbound media preparation."""

import pytest

from services.media import preparation_rules as rules
from services.message_types.media_types import BY_NAME


@pytest.mark.parametrize(("kind", "content_type", "link", "expected"), [
    ("image", "image/png", "https://x.example/a", "image/png"),
    ("image", "IMAGE/JPEG; charset=binary", "https://x.example/a", "image/jpeg"),
    ("image", "application/octet-stream", "https://x.example/photo.JPEG?sig=1", "image/jpeg"),
    ("image", None, "https://x.example/photo.png", "image/png"),
    ("image", "image/gif", "https://x.example/a.gif", None),
    ("image", "text/html", "https://x.example/a", None),
    ("sticker", "image/webp", "https://x.example/s", "image/webp"),
    ("sticker", "image/png", "https://x.example/s.png", None),
    ("audio", "audio/ogg; codecs=opus", "https://x.example/v", "audio/ogg; codecs=opus"),
    ("audio", "audio/ogg", "https://x.example/v.ogg", None),  # plain ogg: §8.2 refuses it
    ("video", "video/mp4", "https://x.example/v", "video/mp4"),
    ("document", "application/pdf", "https://x.example/d", "application/pdf"),
    ("document", "image/gif", "https://x.example/d", "image/gif"),  # a document takes any valid type
    ("document", "application/octet-stream", "https://x.example/report.pdf", "application/pdf"),
    ("document", "application/octet-stream", "https://x.example/blob", "application/octet-stream"),
    ("document", "not a type", "https://x.example/blob", None),
])
def test_link_mime_type(kind, content_type, link, expected):
    assert rules.link_mime_type(BY_NAME[kind], content_type, link) == expected


def test_retries_back_off_and_stop():
    assert [rules.retry_delay(n) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]
    assert rules.may_retry(rules.MAX_ATTEMPTS - 1)
    assert not rules.may_retry(rules.MAX_ATTEMPTS)


def test_too_large_names_the_kind_and_limit():
    failure = rules.too_large(BY_NAME["sticker"], 100 * 1024)
    assert (failure.code, failure.details, failure.retryable) == (
        400, "The media file is larger than the 100 KB a sticker may have", False)
