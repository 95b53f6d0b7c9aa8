"""Publishing the profile (services/core_worker/profile_publisher.py) against the real
MongoDB, S3 server and sandbox: what the network receives, the photo uploaded once,
and the backoff after a failure."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import requests

from services.common.clock import utcnow
from services.core_worker import profile_publisher, registration
from services.media.object_store import ObjectStore
from services.profile import photos
from services.profile import store as profile_store
from tests.integration.core import test_contact_checker
from tests.integration.sandbox.conftest import free_port

# The same sandbox process and core context as the contacts checker's tests.
sandbox, _context = test_contact_checker.sandbox, test_contact_checker._context

BUSINESS = {"cc": "1", "phone_number": "5550188", "vname": "Publisher"}
PHONE = "15550188001"
WA_ID = BUSINESS["cc"] + BUSINESS["phone_number"]
JPEG = b"\xff\xd8\xff\xe0" + os.urandom(8192)


@pytest.fixture
def ctx(config, db, sandbox):
    context = _context(config, sandbox.url)
    cert = requests.post(sandbox.url + "/sandbox/v1/certificates", json=BUSINESS, timeout=10).json()["cert"]
    registration.request_code(context, cc="1", phone_number=BUSINESS["phone_number"], method="sms", cert=cert)
    code = requests.get(f"{sandbox.url}/sandbox/v1/verification-codes/1{BUSINESS['phone_number']}",
                        timeout=10).json()["code"]
    assert registration.verify_code(context, code=code)["http_status"] == 201
    requests.post(sandbox.url + "/sandbox/v1/phones", json={"wa_id": PHONE, "name": "P"}, timeout=10)
    return context


def shown(sandbox) -> dict:
    wa_id = BUSINESS["cc"] + BUSINESS["phone_number"]
    return requests.get(f"{sandbox.url}/sandbox/v1/phones/{PHONE}/business/{wa_id}", timeout=10).json()


def test_the_network_gets_the_whole_profile_and_the_photo_once(ctx, db, config, sandbox):
    profile_store.set_about(db, "hello")
    profile_store.update_business(db, {"vertical": "Education", "websites": ["https://school.example"]})
    photos.save(db, ObjectStore.from_config(config), JPEG, "image/jpeg")
    assert profile_publisher.publish(ctx)
    seen = shown(sandbox)
    assert seen["revision"] == 3 and seen["about"] == "hello"
    assert seen["business_profile"]["vertical"] == "Education" and seen["photo"]["size"] == len(JPEG)
    assert requests.get(sandbox.url + seen["photo"]["link"], timeout=10).content == JPEG
    first_blob = db.profile.find_one()["published"]["photo_network_id"]

    profile_store.set_about(db, "again")
    assert profile_publisher.publish(ctx)
    assert shown(sandbox)["about"] == "again"
    assert db.profile.find_one()["published"] == {"revision": 4, "photo_sha256": seen["photo"]["sha256"],
                                                  "photo_network_id": first_blob, "wa_id": WA_ID}  # not uploaded again
    assert not profile_store.due_for_publishing(db, WA_ID)


def test_a_photo_the_network_lost_is_uploaded_again(ctx, db, config, sandbox):
    photos.save(db, ObjectStore.from_config(config), JPEG, "image/jpeg")
    assert profile_publisher.publish(ctx)
    # As if the network's media store had been reset since the last publish.
    db.profile.update_one({}, {"$set": {"published.photo_network_id": "A" * 32}})
    profile_store.set_about(db, "after the reset")
    assert profile_publisher.publish(ctx)
    seen = shown(sandbox)
    assert seen["about"] == "after the reset"
    assert requests.get(sandbox.url + seen["photo"]["link"], timeout=10).content == JPEG
    assert db.profile.find_one()["published"]["photo_network_id"] != "A" * 32


def test_a_failed_publish_waits_longer_each_time(ctx, db, config):
    unreachable = _context(config, f"http://127.0.0.1:{free_port()}")
    profile_store.set_about(db, "later")
    before = utcnow()
    assert not profile_publisher.publish(unreachable)
    first = db.profile.find_one()
    assert first["publish_attempts"] == 1
    assert first["publish_retry_at"] - before >= timedelta(seconds=2)
    assert not profile_store.due_for_publishing(db, WA_ID)
    assert profile_store.due_for_publishing(db, WA_ID, now=first["publish_retry_at"])

    assert not profile_publisher.publish(unreachable)
    second = db.profile.find_one()
    assert second["publish_attempts"] == 2
    assert second["publish_retry_at"] - utcnow() > timedelta(seconds=3)

    # A new change is tried at once, and the reachable network then takes it.
    profile_store.set_about(db, "now")
    assert profile_store.due_for_publishing(db, WA_ID)
    assert profile_publisher.publish(ctx)
    assert not profile_store.due_for_publishing(db, WA_ID, now=utcnow() + timedelta(hours=1))


def test_a_newly_registered_number_gets_the_profile(ctx, db, config, sandbox):
    profile_store.set_about(db, "before the new number")
    photos.save(db, ObjectStore.from_config(config), JPEG, "image/jpeg")
    assert profile_publisher.publish(ctx)
    old_blob = db.profile.find_one()["published"]["photo_network_id"]

    other = {"cc": "1", "phone_number": "5550189", "vname": "Publisher"}
    cert = requests.post(sandbox.url + "/sandbox/v1/certificates", json=other, timeout=10).json()["cert"]
    registration.request_code(ctx, cc="1", phone_number=other["phone_number"], method="sms", cert=cert)
    code = requests.get(f"{sandbox.url}/sandbox/v1/verification-codes/1{other['phone_number']}",
                        timeout=10).json()["code"]
    assert registration.verify_code(ctx, code=code)["http_status"] == 201
    assert profile_store.due_for_publishing(db, "15550189")  # no change since, yet unpublished there

    assert profile_publisher.publish(ctx)
    seen = requests.get(f"{sandbox.url}/sandbox/v1/phones/{PHONE}/business/15550189", timeout=10).json()
    assert seen["about"] == "before the new number"
    assert requests.get(sandbox.url + seen["photo"]["link"], timeout=10).content == JPEG
    published = db.profile.find_one()["published"]
    assert published["wa_id"] == "15550189" and published["photo_network_id"] != old_blob
    assert not profile_store.due_for_publishing(db, "15550189")
