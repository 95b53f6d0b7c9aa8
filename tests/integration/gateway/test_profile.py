"""``/v1/settings/profile/*`` and ``/v1/settings/business/profile`` through the Flask app
on the real MongoDB, Redis and S3 server."""

from __future__ import annotations

import hashlib
import io
import os
from urllib.parse import urlsplit

import pytest

from services.profile import photo_rules
from tests.common.factories import issue_token
from tests.integration.gateway import test_media
from tests.integration.gateway.conftest import META, assert_error, bearer

# A bucket of each test's own, so that "nothing left behind" can be checked by listing it.
config, s3, objects = test_media.config, test_media.s3, test_media.objects

JPEG = b"\xff\xd8\xff\xe0" + os.urandom(2048)
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(1024)
WEBSITES_MESSAGE = "Max number of websites allowed is 2"


def revision(db) -> int:
    doc = db.profile.find_one({"_id": "business"}) or {}
    return doc.get("revision", 0)


# -- about --------------------------------------------------------------------------

def test_about_is_empty_until_set_then_what_was_set(client, auth, db):
    assert client.get("/v1/settings/profile/about", headers=auth).get_json() == {
        "settings": {"profile": {"about": {"text": ""}}}, "meta": META}
    text = "é" * 139  # 139 characters, 278 bytes: the limit counts characters
    answer = client.patch("/v1/settings/profile/about", headers=auth, json={"text": text})
    assert answer.status_code == 200 and answer.get_json() == {"meta": META}
    got = client.get("/v1/settings/profile/about", headers=auth).get_json()
    assert got["settings"]["profile"]["about"]["text"] == text
    assert revision(db) == 1  # stored as a change still to publish


@pytest.mark.parametrize("body, code", [
    ({}, 1008),
    ({"text": "x" * 140}, 1009),
    ({"text": 5}, 1009),
    ({"text": None}, 1009),
])
def test_bad_about_is_refused_and_changes_nothing(client, auth, db, body, code):
    client.patch("/v1/settings/profile/about", headers=auth, json={"text": "kept"})
    assert_error(client.patch("/v1/settings/profile/about", headers=auth, json=body), 400, code)
    assert client.get("/v1/settings/profile/about", headers=auth).get_json()["settings"]["profile"]["about"] == {
        "text": "kept"}
    assert revision(db) == 1


def test_a_change_kicks_the_core_to_publish(client, auth, redis):
    client.patch("/v1/settings/profile/about", headers=auth, json={"text": "hello"})
    assert redis.llen("core.control") == 1


# -- photo --------------------------------------------------------------------------

@pytest.mark.parametrize("data, mime_type, filename", [
    (JPEG, "image/jpeg", "profilePicture.jpg"),
    (PNG, "image/png", "profilePicture.png"),
])
def test_a_raw_photo_comes_back_byte_identical(client, auth, db, s3, config, data, mime_type, filename):
    answer = client.post("/v1/settings/profile/photo", headers={**auth, "Content-Type": "image/jpeg"}, data=data)
    assert answer.status_code == 201 and answer.get_json() == {"meta": META}
    got = client.get("/v1/settings/profile/photo", headers=auth)
    assert got.status_code == 200 and got.data == data
    assert got.headers["Content-Type"] == mime_type
    assert got.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    photo = db.profile.find_one()["photo"]
    assert photo["sha256"] == hashlib.sha256(data).hexdigest() and photo["size"] == len(data)
    assert objects(s3, config) == [photo["object_key"]]


def test_a_photo_sent_as_curl_sends_it_is_read_raw(client, auth):
    # curl --data-binary without -H labels the body a form: it is still the image.
    answer = client.post("/v1/settings/profile/photo", data=JPEG,
                         headers={**auth, "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 201, answer.get_json()
    assert client.get("/v1/settings/profile/photo", headers=auth).data == JPEG


def test_a_multipart_photo_is_read_from_its_file_field(client, auth):
    answer = client.post("/v1/settings/profile/photo", headers=auth,
                         data={"File": (io.BytesIO(JPEG), "me.jpg", "image/jpeg")})
    assert answer.status_code == 201, answer.get_json()
    assert client.get("/v1/settings/profile/photo", headers=auth).data == JPEG


def test_a_new_photo_replaces_the_old_object_and_delete_removes_it(client, auth, db, s3, config):
    client.post("/v1/settings/profile/photo", headers=auth, data=JPEG)
    client.post("/v1/settings/profile/photo", headers=auth, data=PNG)
    assert client.get("/v1/settings/profile/photo", headers=auth).data == PNG
    assert objects(s3, config) == [db.profile.find_one()["photo"]["object_key"]]
    assert client.delete("/v1/settings/profile/photo", headers=auth).get_json() == {"meta": META}
    assert objects(s3, config) == []
    assert_error(client.get("/v1/settings/profile/photo", headers=auth), 404, 1006)
    assert client.delete("/v1/settings/profile/photo", headers=auth).status_code == 200  # idempotent


@pytest.mark.parametrize("data, headers, code", [
    (b"", {}, 1008),
    (b"GIF89a" + b"\x00" * 100, {}, 1009),
    (b"\xff\xd8\xff" + b"\x00" * photo_rules.MAX_PHOTO_BYTES, {}, 1009),
])
def test_bad_photos_are_refused_and_store_nothing(client, auth, db, s3, config, data, headers, code):
    assert_error(client.post("/v1/settings/profile/photo", headers={**auth, **headers}, data=data), 400, code)
    assert objects(s3, config) == [] and db.profile.find_one() is None


def test_a_too_large_chunked_photo_is_refused_while_reading(client, auth, s3, config):
    data = b"\xff\xd8\xff" + b"\x00" * photo_rules.MAX_PHOTO_BYTES
    answer = client.post("/v1/settings/profile/photo", headers={**auth, "Transfer-Encoding": "chunked"},
                         environ_overrides={"wsgi.input": io.BytesIO(data), "wsgi.input_terminated": True})
    assert_error(answer, 400, 1009)
    assert objects(s3, config) == []


def test_multipart_without_the_file_field_is_missing(client, auth):
    answer = client.post("/v1/settings/profile/photo", headers=auth, data={"Other": (io.BytesIO(JPEG), "a.jpg")})
    assert_error(answer, 400, 1008, "Missing mandatory parameter 'File'")


def test_the_link_serves_the_photo_without_a_login_until_it_is_removed(client, auth):
    assert_error(client.get("/v1/settings/profile/photo?format=link", headers=auth), 404, 1006)
    client.post("/v1/settings/profile/photo", headers=auth, data=JPEG)
    answer = client.get("/v1/settings/profile/photo?format=link", headers=auth)
    assert answer.status_code == 200
    link = urlsplit(answer.get_json()["settings"]["profile"]["photo"]["link"])
    assert link.path == "/v1/settings/profile/photo/link" and link.query.startswith("token=")
    path = f"{link.path}?{link.query}"
    assert client.get(path).data == JPEG
    assert_error(client.get(path[:-3] + "xyz"), 404, 1006)
    assert_error(client.get(link.path), 400, 1008)
    assert_error(client.get(f"{link.path}?token={'x' * 129}"), 400, 1009)
    client.delete("/v1/settings/profile/photo", headers=auth)
    assert_error(client.get(path), 404, 1006)


def test_an_expired_link_serves_nothing(client, auth, db):
    client.post("/v1/settings/profile/photo", headers=auth, data=JPEG)
    link = client.get("/v1/settings/profile/photo?format=link", headers=auth).get_json()
    db.profile_photo_links.update_many({}, {"$set": {"expires_at": db.profile.find_one()["updated_at"]}})
    assert_error(client.get(link["settings"]["profile"]["photo"]["link"]), 404, 1006)


# -- business profile -----------------------------------------------------------------

EMPTY = {"address": "", "description": "", "email": "", "vertical": "", "websites": []}
FULL = {"address": "1 Main St", "description": "We sell things", "email": "shop@example.com",
        "vertical": "Beauty, Spa, and Salon", "websites": ["https://example.com", "http://example.org/a"]}


def business(client, auth) -> dict:
    answer = client.get("/v1/settings/business/profile", headers=auth)
    assert answer.status_code == 200
    return answer.get_json()["settings"]["business"]["profile"]


def test_business_profile_is_set_then_updated_in_part(client, auth):
    assert business(client, auth) == EMPTY
    assert client.post("/v1/settings/business/profile", headers=auth, json=FULL).get_json() == {"meta": META}
    assert business(client, auth) == FULL
    client.post("/v1/settings/business/profile", headers=auth, json={"description": "New", "websites": []})
    assert business(client, auth) == {**FULL, "description": "New", "websites": []}


@pytest.mark.parametrize("body, details", [
    ({"websites": ["https://a.com", "https://b.com", "https://c.com"]}, WEBSITES_MESSAGE),
    ({"websites": ["ftp://a.com"]}, None),
    ({"websites": ["https://a.com/" + "x" * 243]}, None),  # 257 characters with the scheme
    ({"address": "x" * 257}, None),
    ({"description": "x" * 257}, None),
    ({"email": "not-an-address"}, None),
    ({"email": "a" * 120 + "@example.com"}, None),  # 132 characters
    ({"vertical": ""}, None),
    ({"vertical": "Pets"}, None),
    ({"address": 7}, None),
])
def test_bad_business_fields_are_refused_and_change_nothing(client, auth, body, details):
    client.post("/v1/settings/business/profile", headers=auth, json=FULL)
    assert_error(client.post("/v1/settings/business/profile", headers=auth, json=body), 400, 1009, details)
    assert business(client, auth) == FULL


def test_limits_are_inclusive(client, auth):
    body = {"address": "x" * 256, "description": "y" * 256, "email": "a" * 116 + "@example.com",
            "websites": ["https://a.com/" + "x" * 242]}
    assert client.post("/v1/settings/business/profile", headers=auth, json=body).status_code == 200
    assert business(client, auth) == {**EMPTY, **body}


# -- who may call ---------------------------------------------------------------------

ROUTES = [
    ("get", "/v1/settings/profile/about"), ("patch", "/v1/settings/profile/about"),
    ("get", "/v1/settings/profile/photo"), ("post", "/v1/settings/profile/photo"),
    ("delete", "/v1/settings/profile/photo"),
    ("get", "/v1/settings/business/profile"), ("post", "/v1/settings/business/profile"),
]


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_route_is_admin_only(client, db, config, method, path):
    user_token = issue_token(db, config.token_ttl_seconds, username="someone", role="user")
    assert_error(getattr(client, method)(path, headers=bearer(user_token), json={"text": "x"}), 403, 1005)
    assert getattr(client, method)(path).status_code == 401
