"""The network's store of business profiles: what a publish may hold, the highest
revision wins, and its journal records replay."""

from __future__ import annotations

import pytest

from sandbox.changes import Changes
from sandbox.errors import ApiError
from sandbox.network.profiles import PROFILE, ProfileStore, check_profile

PHOTO = {"id": "blob-0123456789abcdef", "mime_type": "image/png", "size": 10, "sha256": "ab"}


def test_a_publish_is_completed_with_empty_fields():
    assert check_profile({"revision": 1}) == {
        "revision": 1, "epoch": "", "about": "",
        "business_profile": {"address": "", "description": "", "email": "", "vertical": "", "websites": []},
        "photo": None,
    }


@pytest.mark.parametrize("body", [
    {}, {"revision": 0}, {"revision": True}, {"revision": "1"},
    {"revision": 1, "about": "x" * 140},
    {"revision": 1, "epoch": 7},
    {"revision": 1, "epoch": "e" * 65},
    {"revision": 1, "business_profile": {"address": "x" * 257}},
    {"revision": 1, "business_profile": {"websites": ["a", "b", "c"]}},
    {"revision": 1, "business_profile": "shop"},
    {"revision": 1, "photo": {**PHOTO, "mime_type": "image/gif"}},
    {"revision": 1, "photo": {**PHOTO, "size": 0}},
    {"revision": 1, "photo": {"id": "x"}},
])
def test_what_a_client_could_not_have_meant_is_refused(body):
    with pytest.raises(ApiError) as raised:
        check_profile(body)
    assert raised.value.status == 400


def test_the_highest_revision_is_kept_and_journaled():
    changes = Changes(enabled=True)
    profiles = ProfileStore(changes)
    assert profiles.publish("15550001", check_profile({"revision": 2, "about": "two", "photo": PHOTO})) == 2
    assert profiles.publish("15550001", check_profile({"revision": 1, "about": "one"})) == 2
    assert profiles.get("15550001")["about"] == "two"
    batch = changes.take()
    assert batch.keys == [(PROFILE, "15550001")]

    replica = ProfileStore()
    for key in batch.keys:
        replica.apply_record(key, profiles.dump_record(key))
    assert replica.to_dict() == profiles.to_dict()
    replica.apply_record((PROFILE, "15550001"), None)
    assert replica.get("15550001") is None


def test_another_epoch_replaces_whatever_its_revision():
    profiles = ProfileStore()
    profiles.publish("15550001", check_profile({"revision": 9, "epoch": "old", "about": "old"}))
    assert profiles.publish("15550001", check_profile({"revision": 1, "epoch": "new", "about": "new"})) == 1
    assert profiles.publish("15550001", check_profile({"revision": 1, "epoch": "new", "about": "again"})) == 1
    assert profiles.get("15550001")["about"] == "new"
