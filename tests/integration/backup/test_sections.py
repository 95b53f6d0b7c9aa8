"""A backup's content against real MongoDB: what ``collect`` reads through each domain
comes back through the same domains into another installation (another database,
another master key), and nothing secret is stored there unsealed."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest

from services.account import store as account_store
from services.backup import blob_rules, sections
from services.certificates import store as certificates_store
from services.cluster import shard_shape
from services.common.egress_rules import parse_allow
from services.media import providers as media_providers
from services.profile import store as profile_store
from services.sessions import key_store
from services.settings import app_settings
from services.settings.setting_kinds import PatchContext

FAST = blob_rules.KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
NOW = datetime.now(UTC)
TOKEN = "network-token-of-the-number"
CHECKS = sections.Checks(PatchContext(), NOW)


@pytest.fixture
def target(db):
    other = db.client[f"{db.name}_restored"]
    db.client.drop_database(other.name)
    yield other
    db.client.drop_database(other.name)


def _registered_source(db, master: bytes) -> None:
    account_store.record_code_requested(db, cc="1", phone_number="5550100", cert="Q0VSVA==", vname="Acme")
    account_store.record_registered(db, master, wa_id="15550100", token=TOKEN)
    key_store.create_keys(db, master)
    account_store.record_two_step(db, master, "123456")
    app_settings.apply_patch(db, {"webhooks.url": "https://hooks.example/wa", "sent_status": True})
    installed = certificates_store.ensure_external(db, master, NOW, ["localhost"])
    certificates_store.set_webhook_ca(db, installed.certificate.ca_pem, NOW)
    shard_shape.change(db, 4, 1)
    media_providers.save(db, master, media_providers.Provider("cdn", "www", username="u", password="p",
                                                              hosts=("cdn.example",)))


def test_nothing_to_back_up_before_registering(db):
    assert sections.collect(sections.Installation(db, os.urandom(32), 1, NOW)) is None


def test_a_backup_comes_back_through_each_domain_under_another_master_key(db, target):
    source_key, target_key = os.urandom(32), os.urandom(32)
    _registered_source(db, source_key)
    payload = sections.collect(sections.Installation(db, source_key, 1, NOW))
    assert payload is not None
    assert set(payload["sections"]) == {"settings", "media_providers", "certificates", "shards", "two_step", "keys",
                                        "profile"}
    assert payload["sections"]["two_step"] == "123456"
    assert {key["id"] for key in payload["sections"]["keys"]} >= {"identity", "spk:1"}

    opened = blob_rules.open_blob("pw", blob_rules.seal("pw", payload, FAST))
    restorable = sections.read(opened, CHECKS)
    assert account_store.claim_restore(target, "this test", 60)  # as the core does first
    sections.restore_sections(sections.Installation(target, target_key, 1, NOW), restorable)
    account_store.record_restored(target, target_key, restorable.registration)
    account_store.release_restore(target, "this test")

    assert app_settings.load(target) == app_settings.load(db)
    provider = media_providers.load(target, target_key, "cdn")
    assert provider is not None
    assert (provider.username, provider.password, provider.hosts) == ("u", "p", ("cdn.example",))
    assert shard_shape.read(target, 1).shards == 4
    restored_cert = certificates_store.load_external(target, target_key)
    source_cert = certificates_store.load_external(db, source_key)
    assert restored_cert is not None and source_cert is not None
    assert restored_cert.certificate == source_cert.certificate and restored_cert.source == source_cert.source
    assert restored_cert.version != source_cert.version  # every gateway rebuilds its TLS context
    assert certificates_store.load_webhook_ca(target).ca_pem == certificates_store.load_webhook_ca(db).ca_pem
    assert account_store.two_step_pin(target, target_key) == "123456"
    account = account_store.load_registered(target, target_key)
    assert account is not None and (account.wa_id, account.network_token, account.vname) == ("15550100", TOKEN, "Acme")
    registration = account_store.load_registration(target)
    assert (registration.cc, registration.phone_number) == ("1", "5550100")
    assert "123456" not in repr(target.account.find_one())
    stored = "".join(repr(list(target[name].find())) for name in ("account", "certificates", "media_providers"))
    assert TOKEN not in stored and "PRIVATE KEY" not in stored
    assert target.keys.count_documents({}) == 0  # keys are carried, not restored: a restore rotates them


def test_a_section_an_older_backup_lacks_is_left_alone(db, target):
    app_settings.apply_patch(target, {"sent_status": True})
    restorable = sections.read({"format": 1, "registration": {"wa_id": "15550100", "network_token": TOKEN},
                                "sections": {"shards": 2}}, CHECKS)
    sections.restore_sections(sections.Installation(target, os.urandom(32), 1, NOW), restorable)
    assert app_settings.load(target)["sent_status"] is True
    assert shard_shape.read(target, 1).shards == 2


@pytest.mark.parametrize("payload", [
    {"format": 2, "registration": {"wa_id": "1", "network_token": "t"}, "sections": {}},
    {"format": 1, "registration": {"wa_id": "1"}, "sections": {}},
    {"format": 1, "registration": {"wa_id": "1", "network_token": "t"}},
])
def test_a_payload_that_is_not_a_backup_of_ours_is_refused_before_anything_is_written(payload):
    with pytest.raises(sections.UnreadablePayload):
        sections.read(payload, CHECKS)


@pytest.mark.parametrize("section", [{"shards": 3}, {"shards": True}, {"settings": ["x"]},
                                     {"certificates": {"external": {"cert_pem": "x"}}},
                                     {"media_providers": [{"name": "cdn", "type": "www", "bearer": 7}]},
                                     {"two_step": 123456}])
def test_an_unreadable_section_is_refused_before_any_is_written(section):
    with pytest.raises(sections.UnreadablePayload):
        sections.read({"format": 1, "registration": {"wa_id": "1", "network_token": "t"},
                       "sections": {"settings": {"sent_status": True}, **section}}, CHECKS)


def _external(db, master: bytes) -> dict:
    return certificates_store.export_all(db, master)["external"]


@pytest.mark.parametrize("section", [
    {"settings": {"heartbeat_interval": "x"}},
    {"settings": {"load_shedding.max_pending_callbacks": [1]}},
    {"settings": {"webhooks.url": "http://10.0.0.1/"}},  # not HTTPS, and an address egress refuses
    {"settings": {"webhooks.url": "https://10.0.0.1/"}},
    {"settings": {"media.auto_download": ["executable"]}},
    {"two_step": "12345"}, {"two_step": "abcdef"}, {"two_step": ""},
    {"certificates": {"external": {"key_pem": 1, "cert_pem": "x", "chain_pem": "y"}}},
    {"certificates": {"webhooks_ca": "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"}},
    {"certificates": {"webhooks_ca": "not PEM at all"}},
])
def test_a_value_the_live_endpoint_refuses_is_refused_by_a_restore(section):
    with pytest.raises(sections.UnreadablePayload):
        sections.read({"format": 1, "registration": {"wa_id": "1", "network_token": "t"}, "sections": section},
                      CHECKS)


def test_a_junk_https_certificate_is_refused(db):
    master = os.urandom(32)
    certificates_store.ensure_external(db, master, NOW, ["localhost"])
    external = _external(db, master)
    other = certificates_store.ensure_external(db.client[f"{db.name}_other"], master, NOW, ["localhost"])
    db.client.drop_database(f"{db.name}_other")
    mismatched = {**external, "key_pem": other.certificate.key_pem}  # a key of another certificate
    with pytest.raises(sections.UnreadablePayload):
        sections.read({"format": 1, "registration": {"wa_id": "1", "network_token": "t"},
                       "sections": {"certificates": {"external": mismatched}}}, CHECKS)


def test_an_http_webhook_url_is_restored_only_where_the_installation_allows_it():
    payload = {"format": 1, "registration": {"wa_id": "1", "network_token": "t"},
               "sections": {"settings": {"webhooks.url": "http://127.0.0.1:9000/hook"}}}
    with pytest.raises(sections.UnreadablePayload):
        sections.read(payload, CHECKS)
    allowed = sections.Checks(PatchContext(allow_http_webhooks=True, egress_allow=parse_allow("127.0.0.1")), NOW)
    assert len(sections.read(payload, allowed).writers) == 1


@pytest.mark.parametrize("registration", [
    {"wa_id": "1555x", "network_token": "t"},
    {"wa_id": "15550100", "network_token": "t", "cc": 1},
    {"wa_id": "15550100", "network_token": "t", "phone_number": "555 0100"},
    {"wa_id": "15550100", "network_token": "t", "vname": ["Acme"]},
    {"wa_id": "15550100", "network_token": "t", "cert": 7},
])
def test_a_registration_of_other_types_is_refused(registration):
    with pytest.raises(sections.UnreadablePayload):
        sections.read({"format": 1, "registration": registration, "sections": {}}, CHECKS)


PHOTO = profile_store.Photo("profile/photo/" + "a" * 32, "image/jpeg", 1234, "b" * 64)


def _profiled_source(db, master: bytes) -> None:
    _registered_source(db, master)
    profile_store.set_about(db, "hello")
    profile_store.update_business(db, {"vertical": "Education", "websites": ["https://school.example"],
                                       "email": "a@school.example"})
    profile_store.replace_photo(db, PHOTO)
    profile_store.mark_published(db, 3, "15550100", PHOTO.sha256, "network-blob")


def test_the_profile_comes_back_as_the_network_last_had_it(db, target):
    source_key = os.urandom(32)
    _profiled_source(db, source_key)
    payload = sections.collect(sections.Installation(db, source_key, 1, NOW))
    assert payload is not None and "bytes" not in repr(payload["sections"]["profile"])
    restorable = sections.read(json.loads(json.dumps(payload)), CHECKS)
    sections.restore_sections(sections.Installation(target, os.urandom(32), 1, NOW), restorable)

    source, restored = profile_store.load(db), profile_store.load(target)
    assert restored == source and restored.photo == PHOTO and restored.about == "hello"
    assert not restored.unpublished_for("15550100")  # nothing sent again for the restore itself
    assert restored.photo_network_id_for("15550100") == "network-blob"  # the bytes are not needed
    profile_store.set_about(target, "after the restore")
    after = profile_store.load(target)
    # A newer revision of the same epoch, carrying every field: the network keeps the rest.
    assert (after.revision, after.epoch) == (source.revision + 1, source.epoch)
    assert after.business["vertical"] == "Education" and after.unpublished_for("15550100")


def _with_profile(**change) -> dict:
    profile = {"about": "hi", "business": {**profile_store.EMPTY_BUSINESS}, "photo": PHOTO.to_doc(), "revision": 2,
               "epoch": "e" * 32, "published": {"revision": 2, "photo_sha256": PHOTO.sha256,
                                                "photo_network_id": "blob", "wa_id": "1"}}
    return {"format": 1, "registration": {"wa_id": "1", "network_token": "t"},
            "sections": {"profile": {**profile, **change}}}


@pytest.mark.parametrize("change", [
    {"about": "x" * 140}, {"about": 7},
    {"business": {**profile_store.EMPTY_BUSINESS, "vertical": "Casino"}},
    {"business": {**profile_store.EMPTY_BUSINESS, "email": "not an address"}},
    {"business": {**profile_store.EMPTY_BUSINESS, "websites": ["ftp://x.example"]}},
    {"business": {**profile_store.EMPTY_BUSINESS, "websites": ["https://a.example"] * 3}},
    {"photo": {**PHOTO.to_doc(), "object_key": "media/" + "a" * 32}},  # another object of the store
    {"photo": {**PHOTO.to_doc(), "size": 6 * 1024 * 1024}},
    {"revision": "2"}, {"epoch": ""},
    {"published": {"revision": 3}},  # ahead of the profile
])
def test_a_profile_the_live_endpoints_would_refuse_is_refused(change):
    with pytest.raises(sections.UnreadablePayload):
        sections.read(_with_profile(**change), CHECKS)


def test_a_backup_without_a_profile_leaves_the_installation_s_own(target):
    profile_store.set_about(target, "set before the restore")
    payload = _with_profile()
    payload["sections"]["profile"] = None
    sections.restore_sections(sections.Installation(target, os.urandom(32), 1, NOW), sections.read(payload, CHECKS))
    assert profile_store.load(target).about == "set before the restore"
