"""The profile through the real processes: set about, photo and business profile on the
API, the core publishes them, and a phone reads them from the sandbox network; a change
whose kick was lost is published all the same; admin only; 1006, 1008, 1009."""

from __future__ import annotations

import hashlib
import os
from urllib.parse import urlsplit

import pytest
import requests
from pymongo import MongoClient

from tests.common.factories import issue_token
from tests.common.waiting import wait_for

PHOTO = b"\x89PNG\r\n\x1a\n" + os.urandom(200 * 1024)
PROFILE = {"address": "1 Main St", "description": "Tools and more", "email": "shop@acme.example",
           "vertical": "Shopping and Retail", "websites": ["https://acme.example", "https://acme.example/shop"]}


@pytest.fixture
def mongo(stack):
    client = MongoClient(stack.env["WA_MONGO_URL"], tz_aware=True)
    yield client[stack.env["WA_MONGO_DB"]]
    client.close()


def shown_to(network, phone: str, business: str) -> dict:
    answer = network("GET", f"/sandbox/v1/phones/{phone}/business/{business}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_phone_reads_the_profile_the_business_set(api, network, registration, new_phone):
    assert api("PATCH", "/v1/settings/profile/about", json={"text": "Open 9 to 5"}).status_code == 200
    assert api("POST", "/v1/settings/profile/photo", data=PHOTO,
               headers={"Content-Type": "image/png"}).status_code == 201
    assert api("POST", "/v1/settings/business/profile", json=PROFILE).status_code == 200
    phone = new_phone("Reader")

    shown = wait_for(lambda: (seen := shown_to(network, phone, registration["wa_id"]))["about"] == "Open 9 to 5"
                     and seen["business_profile"] == PROFILE and seen["photo"] and seen,
                     timeout=30, interval=0.2, message="the profile reached the network")
    assert shown["photo"]["mime_type"] == "image/png"
    assert shown["photo"]["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    photo = network("GET", shown["photo"]["link"])
    assert photo.status_code == 200 and photo.content == PHOTO

    # The gateway serves the same bytes, and a link to them that needs no login.
    got = api("GET", "/v1/settings/profile/photo")
    assert got.content == PHOTO and got.headers["Content-Disposition"] == 'attachment; filename="profilePicture.png"'
    link = api("GET", "/v1/settings/profile/photo?format=link").json()["settings"]["profile"]["photo"]["link"]
    assert urlsplit(link).path == "/v1/settings/profile/photo/link"
    assert requests.get(link, timeout=10).content == PHOTO

    assert api("DELETE", "/v1/settings/profile/photo").status_code == 200
    wait_for(lambda: shown_to(network, phone, registration["wa_id"])["photo"] is None, timeout=30, interval=0.2,
             message="the photo's removal reached the network")
    answer = api("GET", "/v1/settings/profile/photo")
    assert answer.status_code == 404 and answer.json()["errors"][0]["code"] == 1006


def test_a_change_whose_kick_was_lost_is_published_anyway(api, network, registration, new_phone, mongo):
    api("PATCH", "/v1/settings/profile/about", json={"text": "first"})
    phone = new_phone("Patient")
    wait_for(lambda: shown_to(network, phone, registration["wa_id"])["about"] == "first", timeout=30, interval=0.2)
    # As the gateway stores a change, without the kick that should follow it.
    mongo.profile.update_one({"_id": "business"}, {"$set": {"about": "no kick"}, "$inc": {"revision": 1}})
    wait_for(lambda: shown_to(network, phone, registration["wa_id"])["about"] == "no kick", timeout=30,
             interval=0.2, message="the core's periodic job published the unpublished revision")


@pytest.mark.parametrize("method, path, kwargs, status, code", [
    ("PATCH", "/v1/settings/profile/about", {"json": {}}, 400, 1008),
    ("PATCH", "/v1/settings/profile/about", {"json": {"text": "x" * 140}}, 400, 1009),
    ("POST", "/v1/settings/profile/photo", {"data": b""}, 400, 1008),
    ("POST", "/v1/settings/profile/photo", {"data": b"GIF89a" + bytes(64)}, 400, 1009),
    ("POST", "/v1/settings/business/profile", {"json": {"websites": ["https://a.b", "https://c.d", "https://e.f"]}},
     400, 1009),
    ("POST", "/v1/settings/business/profile", {"json": {"vertical": ""}}, 400, 1009),
])
def test_bad_input_is_refused(api, registration, method, path, kwargs, status, code):
    answer = api(method, path, **kwargs)
    assert answer.status_code == status and answer.json()["errors"][0]["code"] == code, answer.text


def test_a_user_that_is_not_admin_is_refused(stack, mongo):
    token = issue_token(mongo, 600, username="profile-reader", role="user")
    for method, path in [("GET", "/v1/settings/profile/about"), ("PATCH", "/v1/settings/profile/about"),
                         ("GET", "/v1/settings/profile/photo"), ("POST", "/v1/settings/profile/photo"),
                         ("DELETE", "/v1/settings/profile/photo"), ("GET", "/v1/settings/business/profile"),
                         ("POST", "/v1/settings/business/profile")]:
        answer = requests.request(method, stack.api_url + path, headers={"Authorization": f"Bearer {token}"},
                                  json={"text": "x"}, timeout=10)
        assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == 1005, (method, path)
