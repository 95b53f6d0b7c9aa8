"""Business profiles on the real sandbox process: published by a business on
``/network/v1/profile``, read by a phone on ``/sandbox/v1/phones/{wa_id}/business/...``,
kept across a restart with a state file."""

from __future__ import annotations

import hashlib
import os

import requests

from tests.integration.sandbox.client import Business
from tests.integration.sandbox.conftest import SandboxProcess

PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(4096)
BUSINESS = {"address": "1 Main St", "description": "Shop", "email": "a@example.com", "vertical": "Other",
            "websites": ["https://example.com"]}


def put(business: Business, body: dict) -> requests.Response:
    return requests.put(business.base + "/network/v1/profile", json=body, headers=business.headers, timeout=10)


def publish_with_photo(business: Business, revision: int, about: str) -> dict:
    photo_id = business.media().upload([PHOTO], len(PHOTO))
    photo = {"id": photo_id, "mime_type": "image/jpeg", "size": len(PHOTO), "sha256": hashlib.sha256(PHOTO).hexdigest()}
    answer = put(business, {"revision": revision, "about": about, "business_profile": BUSINESS, "photo": photo})
    assert answer.status_code == 200, answer.text
    return answer.json()


def new_phone(url: str, wa_id: str) -> None:
    assert requests.post(url + "/sandbox/v1/phones", json={"wa_id": wa_id, "name": "Alice"}, timeout=10).ok


def seen(url: str, phone: str, business: str) -> requests.Response:
    return requests.get(f"{url}/sandbox/v1/phones/{phone}/business/{business}", timeout=10)


def test_a_phone_reads_what_the_business_published(sandbox, number):
    business = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    new_phone(sandbox.url, phone)
    before = seen(sandbox.url, phone, business.wa_id).json()
    assert before == {"wa_id": business.wa_id, "name": "Acme", "revision": 0, "about": "",
                      "business_profile": None, "photo": None}

    assert publish_with_photo(business, 3, "Open 9-5") == {"revision": 3}
    shown = seen(sandbox.url, phone, business.wa_id).json()
    assert shown["about"] == "Open 9-5" and shown["business_profile"] == BUSINESS and shown["revision"] == 3
    link = shown["photo"].pop("link")
    sha256 = hashlib.sha256(PHOTO).hexdigest()
    assert shown["photo"] == {"mime_type": "image/jpeg", "size": len(PHOTO), "sha256": sha256}
    photo = requests.get(sandbox.url + link, timeout=10)
    assert photo.content == PHOTO and photo.headers["Content-Type"] == "image/jpeg"

    # An older revision, arriving late, changes nothing; a newer one replaces all.
    assert put(business, {"revision": 2, "about": "stale"}).json() == {"revision": 3}
    assert put(business, {"revision": 4, "about": "new", "photo": None}).json() == {"revision": 4}
    shown = seen(sandbox.url, phone, business.wa_id).json()
    assert shown["about"] == "new" and shown["photo"] is None
    assert requests.get(sandbox.url + link, timeout=10).json()["error"] == "no_photo"


def test_bad_publishes_and_reads_are_refused(sandbox, number):
    business = Business(sandbox.url, "1", number).setup()
    phone = "44" + number
    new_phone(sandbox.url, phone)
    assert put(business, {"revision": 0}).status_code == 400
    assert put(business, {"revision": 1, "about": "x" * 140}).status_code == 400
    assert put(business, {"revision": 1, "business_profile": {"websites": ["a", "b", "c"]}}).status_code == 400
    missing_blob = {"id": "A" * 20, "mime_type": "image/jpeg", "size": 5, "sha256": "00"}
    assert put(business, {"revision": 1, "photo": missing_blob}).status_code == 404
    anonymous = requests.put(sandbox.url + "/network/v1/profile", json={"revision": 1}, timeout=10)
    assert anonymous.status_code == 401
    assert seen(sandbox.url, phone, phone).json()["error"] == "not_a_business"
    assert seen(sandbox.url, "4400000000", business.wa_id).json()["error"] == "phone_not_found"


def test_profiles_survive_a_restart(tmp_path, number):
    state_file = tmp_path / "state.json"
    phone = "44" + number
    first = SandboxProcess("--state-file", str(state_file)).start()
    try:
        business = Business(first.url, "1", number).setup()
        new_phone(first.url, phone)
        publish_with_photo(business, 1, "kept")
    finally:
        first.stop()
    second = SandboxProcess("--state-file", str(state_file)).start()
    try:
        shown = seen(second.url, phone, business.wa_id).json()
        assert shown["about"] == "kept" and shown["business_profile"] == BUSINESS
        assert requests.get(second.url + shown["photo"]["link"], timeout=10).content == PHOTO
    finally:
        second.stop()
