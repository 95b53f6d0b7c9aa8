"""Sending media messages and configuring media providers, through the Flask app on
the real MongoDB, Redis and S3 server (the transfer itself is the media service's:
tests/integration/media_service/test_outbound_preparation.py)."""

from __future__ import annotations

import json

import pytest

from services.common.queues import MEDIA_QUEUE, PREPARE_OUTBOUND_MEDIA
from services.media import providers as media_providers
from services.users import store as user_store
from tests.common.factories import issue_token
from tests.integration.gateway.conftest import META, assert_error, bearer, register

TO = "16315551234"
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 100


def _upload(client, auth, data=PNG, content_type="image/png") -> str:
    response = client.post("/v1/media", headers={**auth, "Content-Type": content_type}, data=data)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["media"][0]["id"]


def _queued(redis, queue: str) -> list[dict]:
    return [json.loads(raw) for raw in redis.lrange(queue, 0, -1)]


@pytest.fixture
def registered(db):
    register(db)


def test_a_media_send_is_stored_pending_and_kicks_the_media_service(client, auth, db, redis, registered):
    media_id = _upload(client, auth)
    response = client.post("/v1/messages", headers=auth,
                           json={"to": TO, "type": "image", "image": {"id": media_id.upper(), "caption": "Look"}})
    assert response.status_code == 201, response.get_json()
    message_id = response.get_json()["messages"][0]["id"]
    doc = db.messages.find_one({"_id": message_id})
    assert doc["status"] == "accepted" and doc["type"] == "image"
    assert doc["media_prep"] == {"state": "pending", "attempts": 0}
    assert doc["content"] == {"image": {"id": media_id.upper(), "caption": "Look"},
                              "resolved": {"source": "id", "media_id": media_id, "mime_type": "image/png"}}
    [kick] = _queued(redis, MEDIA_QUEUE)
    assert kick["headers"]["task"] == PREPARE_OUTBOUND_MEDIA and kick["headers"]["argsrepr"] == repr([message_id])
    assert redis.llen("core.shard.0") == 0  # the media service kicks the shard once it is ready


@pytest.mark.parametrize("kind", ["image", "video", "audio", "document", "sticker"])
def test_every_kind_is_sendable_by_link(client, auth, db, registered, kind):
    response = client.post("/v1/messages", headers=auth,
                           json={"to": TO, "type": kind, kind: {"link": f"https://cdn.example/{kind}"}})
    assert response.status_code == 201, response.get_json()
    doc = db.messages.find_one({"_id": response.get_json()["messages"][0]["id"]})
    assert doc["content"]["resolved"] == {"source": "link"} and doc["media_prep"]["state"] == "pending"


def test_a_send_names_a_ready_medium_of_a_type_its_kind_takes(client, auth, db, redis, registered):
    pdf = _upload(client, auth, b"%PDF-1.4 report", "application/pdf")
    assert_error(client.post("/v1/messages", headers=auth, json={"to": TO, "type": "image", "image": {"id": pdf}}),
                 400, 2008, "Media of type 'application/pdf' cannot be sent as image")
    assert client.post("/v1/messages", headers=auth, json={
        "to": TO, "type": "document", "document": {"id": pdf, "filename": "r.pdf"}}).status_code == 201
    unknown = "f043afd0-f0ae-4b9c-ab3d-696fb4c8cd68"
    assert_error(client.post("/v1/messages", headers=auth, json={"to": TO, "type": "video", "video": {"id": unknown}}),
                 404, 1006, f"File with id {unknown} not found")
    assert_error(client.post("/v1/messages", headers=auth, json={"to": TO, "type": "video", "video": {"id": "x"}}),
                 404, 1006, "File with id x not found")
    assert client.delete(f"/v1/media/{pdf}", headers=auth).status_code == 200
    deleted = {"to": TO, "type": "document", "document": {"id": pdf}}
    assert_error(client.post("/v1/messages", headers=auth, json=deleted), 404, 1006)
    # An upload still in progress is not a medium one can send.
    db.media.insert_one({"_id": unknown, "state": "uploading", "mime_type": "image/png"})
    assert_error(client.post("/v1/messages", headers=auth, json={"to": TO, "type": "image", "image": {"id": unknown}}),
                 404, 1006)
    assert db.messages.count_documents({}) == 1  # the refused sends stored nothing


def test_providers_are_admin_settings_with_sealed_credentials(client, auth, db, registered):
    url = "/v1/settings/application/media/providers"
    empty = client.get(url, headers=auth)
    assert empty.status_code == 200
    assert empty.get_json() == {"settings": {"application": {"media": {"providers": []}}}, "meta": META}
    link = {"to": TO, "type": "image", "image": {"link": "https://cdn.example/a.png", "provider": {"name": "cdn"}}}
    assert_error(client.post("/v1/messages", headers=auth, json=link), 400, 1009,
                 "Parameter 'image.provider.name' has invalid value 'cdn': no such media provider")

    posted = client.post(url, headers=auth, json=[{"name": "cdn", "type": "www", "config": {"bearer": "tok-SECRET"}}])
    assert posted.status_code == 200 and posted.get_json() == {"meta": META}
    client.post(url, headers=auth, json=[{"name": "backup", "type": "www",
                                          "config": {"basic": {"username": "ann", "password": "pw-SECRET"}}}])
    listed = client.get(url, headers=auth).get_json()["settings"]["application"]["media"]["providers"]
    assert listed == [
        {"name": "backup", "type": "www", "config": {"basic": {"username": "ann", "password": "********"}}},
        {"name": "cdn", "type": "www", "config": {"bearer": "********"}},
    ]
    raw = repr(list(db.media_providers.find()))
    assert "SECRET" not in raw
    # Created without hosts, as the original's clients create them: stored, but a send naming it
    # is refused with what to add.
    assert_error(client.post("/v1/messages", headers=auth, json=link), 400, 1009,
                 "Parameter 'image.provider.name' has invalid value 'cdn': the provider has no 'hosts', so its "
                 "credentials go nowhere: add 'hosts' to it, the list of host or host:port its links are on")
    posted = client.post(url, headers=auth, json=[{"name": "cdn", "type": "www", "config": {"bearer": "tok-SECRET"},
                                                   "hosts": ["CDN.example", "files.example:8443"]}])
    assert posted.status_code == 200
    listed = client.get(url, headers=auth).get_json()["settings"]["application"]["media"]["providers"]
    assert listed[1] == {"name": "cdn", "type": "www", "config": {"bearer": "********"},
                         "hosts": ["cdn.example", "files.example:8443"]}
    assert client.post("/v1/messages", headers=auth, json=link).status_code == 201
    elsewhere = {"to": TO, "type": "image",
                 "image": {"link": "https://evil.example/a.png", "provider": {"name": "cdn"}}}
    assert_error(client.post("/v1/messages", headers=auth, json=elsewhere), 400, 1009,
                 "Parameter 'image.provider.name' has invalid value 'cdn': the link's host evil.example:443 is not "
                 "one of the provider's 'hosts'")

    # The same name again replaces the provider.
    client.post(url, headers=auth, json=[{"name": "cdn", "type": "www",
                                          "config": {"basic": {"username": "bo", "password": "pw2"}}}])
    from services.api_gateway.state import EXTENSION
    key = client.application.extensions[EXTENSION].master_key()
    provider = media_providers.load(db, key, "cdn")
    assert (provider.username, provider.password, provider.bearer, provider.hosts) == ("bo", "pw2", None, None)
    assert "hosts" not in db.media_providers.find_one({"_id": "cdn"})

    assert client.delete(f"{url}/cdn", headers=auth).status_code == 200
    assert_error(client.delete(f"{url}/cdn", headers=auth), 404, 1006, "Media provider 'cdn' not found")
    assert [p["name"] for p in client.get(url, headers=auth).get_json()["settings"]["application"]["media"][
        "providers"]] == ["backup"]
    assert_error(client.post(url, headers=auth, json={"name": "x"}), 400, 1009)


def test_providers_need_the_admin(client, db):
    token = issue_token(db, 3600, username="clerk", role=user_store.ROLE_USER)
    url = "/v1/settings/application/media/providers"
    assert_error(client.get(url, headers=bearer(token)), 403, 1005)
    assert_error(client.post(url, headers=bearer(token), json=[{"name": "a", "type": "www",
                                                                "config": {"bearer": "t"}}]), 403, 1005)
    assert_error(client.delete(f"{url}/a", headers=bearer(token)), 403, 1005)
    assert db.media_providers.count_documents({}) == 0


IMAGE_TEMPLATE = {"id": "t2", "namespace": "ns", "name": "look", "language": "en_US", "category": "UTILITY",
                  "status": "APPROVED", "components": [{"type": "HEADER", "format": "IMAGE"},
                                                       {"type": "BODY", "text": "Look at this"}]}


def _template_with(header: dict) -> dict:
    return {"to": TO, "type": "template", "template": {
        "namespace": "ns", "name": "look", "language": {"policy": "deterministic", "code": "en_US"},
        "components": [{"type": "header", "parameters": [header]}]}}


def test_a_template_with_a_media_header_is_stored_pending_like_a_media_message(client, auth, db, redis, registered):
    db.templates.insert_one({"_id": "ns:look:en_US", **IMAGE_TEMPLATE})
    media_id = _upload(client, auth)
    response = client.post("/v1/messages", headers=auth,
                           json=_template_with({"type": "image", "image": {"id": media_id}}))
    assert response.status_code == 201, response.get_json()
    message_id = response.get_json()["messages"][0]["id"]
    doc = db.messages.find_one({"_id": message_id})
    assert doc["type"] == "template" and doc["media_prep"] == {"state": "pending", "attempts": 0}
    assert doc["content"]["resolved"]["header_media"] == {"source": "id", "media_id": media_id,
                                                          "mime_type": "image/png"}
    [kick] = _queued(redis, MEDIA_QUEUE)
    assert kick["headers"]["task"] == PREPARE_OUTBOUND_MEDIA and kick["headers"]["argsrepr"] == repr([message_id])
    assert redis.llen("core.shard.0") == 0


def test_a_media_header_is_checked_like_a_media_message(client, auth, db, redis, registered):
    db.templates.insert_one({"_id": "ns:look:en_US", **IMAGE_TEMPLATE})
    pdf = _upload(client, auth, b"%PDF-1.4 report", "application/pdf")
    assert_error(client.post("/v1/messages", headers=auth,
                             json=_template_with({"type": "image", "image": {"id": pdf}})),
                 400, 2008, "Media of type 'application/pdf' cannot be sent as image")
    assert_error(client.post("/v1/messages", headers=auth, json=_template_with(
        {"type": "document", "document": {"id": pdf}})), 400, 2012)
    unknown = "f043afd0-f0ae-4b9c-ab3d-696fb4c8cd68"
    assert_error(client.post("/v1/messages", headers=auth,
                             json=_template_with({"type": "image", "image": {"id": unknown}})), 404, 1006)
    assert_error(client.post("/v1/messages", headers=auth, json=_template_with(
        {"type": "image", "image": {"link": "https://cdn.example/a.png", "provider": {"name": "none"}}})), 400, 1009)
    assert_error(client.post("/v1/messages", headers=auth, json=_template_with(
        {"type": "image", "image": {"id": pdf, "link": "https://cdn.example/a.png"}})), 400, 1010)
    assert db.messages.count_documents({}) == 0 and _queued(redis, MEDIA_QUEUE) == []
    # a text template stays a plain send: no preparation
    db.templates.insert_one({"_id": "ns:hello:en_US", "id": "t1", "namespace": "ns", "name": "hello",
                             "language": "en_US", "category": "UTILITY", "status": "APPROVED",
                             "components": [{"type": "BODY", "text": "Hello"}]})
    response = client.post("/v1/messages", headers=auth, json={"to": TO, "type": "template", "template": {
        "namespace": "ns", "name": "hello", "language": {"policy": "deterministic", "code": "en_US"}}})
    assert response.status_code == 201, response.get_json()
    assert "media_prep" not in db.messages.find_one({"_id": response.get_json()["messages"][0]["id"]})
