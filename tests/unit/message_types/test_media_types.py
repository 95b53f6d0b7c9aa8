import pytest

from services.message_types import media_types
from services.message_types.media_types import KB, MB, MediaType, classify, parse


def animated_webp_head(animated: bool) -> bytes:
    flags = 0x02 if animated else 0x00
    return b"RIFF" + b"\x00" * 4 + b"WEBP" + b"VP8X" + b"\x0a\x00\x00\x00" + bytes([flags]) + b"\x00" * 9


@pytest.mark.parametrize("header, essence, parameters", [
    ("image/jpeg", "image/jpeg", ()),
    ("  IMAGE/JPEG ", "image/jpeg", ()),
    ("audio/ogg; codecs=opus", "audio/ogg", (("codecs", "opus"),)),
    ("audio/ogg;codecs=\"opus\"", "audio/ogg", (("codecs", "opus"),)),
    ("text/plain; charset=UTF-8; Format=flowed", "text/plain", (("charset", "UTF-8"), ("format", "flowed"))),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ()),
])
def test_parse_reads_essence_and_parameters(header, essence, parameters):
    assert parse(header) == MediaType(essence, parameters)


@pytest.mark.parametrize("header", ["", "jpeg", "image/", "/jpeg", "image/jpeg/x", "image/jp eg", "image/jpeg;",
                                    "image/jpeg; codecs", "image/jpeg; a=b c", "image/*", "ímage/jpeg"])
def test_parse_refuses_what_is_not_a_mime_type(header):
    assert parse(header) is None


@pytest.mark.parametrize("header, kind, stored", [
    ("image/jpeg", "image", "image/jpeg"),
    ("image/PNG", "image", "image/png"),
    ("image/webp", "sticker", "image/webp"),
    ("audio/aac", "audio", "audio/aac"),
    ("audio/mp4", "audio", "audio/mp4"),
    ("audio/amr", "audio", "audio/amr"),
    ("audio/mpeg", "audio", "audio/mpeg"),
    ("audio/ogg; codecs=OPUS", "audio", "audio/ogg; codecs=opus"),
    ("video/mp4", "video", "video/mp4"),
    ("video/3gpp", "video", "video/3gpp"),
    ("application/pdf", "document", "application/pdf"),
    ("text/plain; charset=utf-8", "document", "text/plain; charset=utf-8"),
    ('text/plain; name="a b"', "document", 'text/plain; name="a b"'),
    ("application/octet-stream", "document", "application/octet-stream"),
])
def test_classify_gives_the_kind_and_the_stored_type(header, kind, stored):
    classified = classify(parse(header))
    assert classified is not None
    assert (classified.kind.name, classified.mime_type) == (kind, stored)


@pytest.mark.parametrize("header", ["audio/ogg", "audio/ogg; codecs=vorbis", "image/gif", "image/heic", "video/webm",
                                    "audio/wav"])
def test_unlisted_types_of_the_media_families_are_refused(header):
    assert classify(parse(header)) is None


def test_limits_are_those_of_the_spec():
    limits = {kind.name: (kind.max_bytes, kind.animated_max_bytes) for kind in media_types.KINDS}
    assert limits == {"audio": (16 * MB, None), "image": (5 * MB, None), "video": (16 * MB, None),
                      "sticker": (100 * KB, 500 * KB), "document": (100 * MB, None)}
    assert media_types.UPLOAD_LIMIT == 100 * MB == 104_857_600
    assert all(kind.largest <= media_types.UPLOAD_LIMIT for kind in media_types.KINDS)


def test_a_sticker_is_allowed_more_only_when_its_header_says_animated():
    sticker = media_types.BY_NAME["sticker"]
    assert sticker.probe_bytes == media_types.WEBP_PROBE_BYTES
    assert sticker.largest == 500 * KB
    assert sticker.limit_for(animated_webp_head(True)) == 500 * KB
    assert sticker.limit_for(animated_webp_head(False)) == 100 * KB
    assert sticker.limit_for(animated_webp_head(True)[:20]) == 100 * KB  # too short to tell
    assert sticker.limit_for(b"not a webp file at all") == 100 * KB
    image = media_types.BY_NAME["image"]
    assert image.probe_bytes == 0 and image.limit_for(b"") == 5 * MB


def test_accepts_matches_the_listed_form():
    audio = media_types.BY_NAME["audio"]
    assert audio.accepts(parse("audio/ogg; codecs=opus"))
    assert not audio.accepts(parse("audio/ogg"))
    assert media_types.BY_NAME["document"].accepts(parse("image/jpeg"))


@pytest.mark.parametrize("stored, ext", [("image/jpeg", ".jpg"), ("audio/ogg; codecs=opus", ".ogg"),
                                         ("application/pdf", ".pdf"), ("Text/Plain; charset=utf-8", ".txt"),
                                         ("application/x-unknown", "")])
def test_extension(stored, ext):
    assert media_types.extension(stored) == ext


@pytest.mark.parametrize("size, text", [(100 * MB, "100 MB"), (5 * MB, "5 MB"), (500 * KB, "500 KB"),
                                        (1000, "1000 bytes")])
def test_shown_size(size, text):
    assert media_types.shown_size(size) == text
