"""Each answer is built from its model: the model takes what the route answered before
and gives it back key for key, in the same order (the wire shape is unchanged), and it
refuses what the document does not say."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from services.api_gateway.health import node_statuses
from services.api_gateway.schemas.contacts import ContactCheck, ContactIdentity, ContactsAnswer, IdentityAnswer
from services.api_gateway.schemas.health import HealthAnswer
from services.api_gateway.schemas.media import MediaAnswer, MediaId
from services.api_gateway.schemas.media_providers import MediaProvidersAnswer
from services.api_gateway.schemas.messages import MessageId, MessagesAnswer
from services.api_gateway.schemas.settings import ApplicationSettingsAnswer
from services.api_gateway.schemas.stats import AppStatsAnswer, DbStatsAnswer, WebMetrics
from services.cluster.nodes import NETWORK_LEASE, Lease
from services.contacts import checks
from services.contacts.identity import ContactIdentity as StoredIdentity
from services.media.providers import public
from services.settings import app_settings
from services.stats.counters import Counters
from services.stats.metrics import APP, DB, WEB
from services.stats.render import to_json


def wire(payload: dict) -> str:
    """As the gateway serialises it (no key sorting): order counts."""
    return json.dumps(payload)


def rebuilt(model: type[BaseModel], payload: dict, *, exclude_none: bool = False) -> dict:
    return model.model_validate(payload).model_dump(mode="json", exclude_none=exclude_none)


def test_messages_and_media_answers():
    assert MessagesAnswer(messages=[MessageId(id="gBGG1")]).model_dump(mode="json") == {"messages": [{"id": "gBGG1"}]}
    assert MediaAnswer(media=[MediaId(id="f0e1")]).model_dump(mode="json") == {"media": [{"id": "f0e1"}]}


def test_contacts_answer_is_the_checks_items():
    items = checks.answer_items([("+1 631 555 1000", "16315551000"), ("x", None), ("+1 631 555 1002", "16315551002"),
                                 ("+1 631 555 1003", "16315551003")],
                                {"16315551000": "16315551000", "16315551003": None},
                                processing={"16315551002"})
    answer = ContactsAnswer(contacts=[ContactCheck(**item) for item in items])
    assert wire(answer.model_dump(mode="json", exclude_none=True)) == wire({"contacts": items})


def test_contact_statuses_are_the_checks_statuses():
    statuses = ContactCheck.model_json_schema()["properties"]["status"]["enum"]
    assert set(statuses) == {checks.VALID, checks.INVALID, checks.PROCESSING, checks.FAILED}


def test_identity_answer_is_an_object():
    stored = StoredIdentity(hash="UKD6Y/5SqDU=", created_at=None, acknowledged=True)
    answer = IdentityAnswer(contacts=ContactIdentity(**stored.to_wire()))
    assert wire(answer.model_dump(mode="json")) == wire({"contacts": stored.to_wire()})


def test_settings_answer_is_every_declared_setting_in_order():
    effective = {**app_settings.DEFAULTS, "wa_id": "16315551000"}
    assert wire(rebuilt(ApplicationSettingsAnswer, {"settings": {"application": effective}}, exclude_none=True)) == \
        wire({"settings": {"application": effective}})
    unregistered = ApplicationSettingsAnswer.of(app_settings.DEFAULTS).model_dump(mode="json", exclude_none=True)
    assert "wa_id" not in unregistered["settings"]["application"]


def test_settings_answer_refuses_what_is_not_declared():
    with pytest.raises(ValidationError):
        ApplicationSettingsAnswer.of({**app_settings.DEFAULTS, "undeclared": True})
    with pytest.raises(ValidationError):
        ApplicationSettingsAnswer.of({**app_settings.DEFAULTS, "heartbeat_interval": 0})  # below its bound


def test_media_providers_answer_is_what_public_shows():
    providers = [public({"_id": "a", "type": "www", "auth": "bearer"}),
                 public({"_id": "b", "type": "www", "auth": "basic", "username": "u", "hosts": ["cdn.example:8443"]})]
    body = {"settings": {"application": {"media": {"providers": providers}}}}
    assert wire(MediaProvidersAnswer.of(providers).model_dump(mode="json", exclude_none=True)) == wire(body)


@pytest.mark.parametrize("config", [{"bearer": "s3cret-token"}, {"basic": {"username": "u", "password": "s3cret"}}])
def test_media_providers_answer_refuses_an_unmasked_secret(config):
    shown = {"name": "a", "type": "www", "config": config}
    with pytest.raises(ValidationError):
        MediaProvidersAnswer.of([shown])
    schema = json.dumps(MediaProvidersAnswer.model_json_schema(mode="serialization"))
    assert schema.count('"const": "********"') == 2


def test_media_providers_schema_marks_the_extensions():
    text = json.dumps(MediaProvidersAnswer.model_json_schema())
    assert text.count('"x-extension"') == 2  # hosts, masked config


def lease(owner: str, shard: int | None) -> Lease:
    return Lease(f"shard:{shard}" if shard is not None else NETWORK_LEASE, owner, 1, shard, connected=True)


def test_health_answer_single_and_per_node():
    assert rebuilt(HealthAnswer, {"health": {"gateway_status": "unregistered"}}) == \
        {"health": {"gateway_status": "unregistered"}}
    per_node = node_statuses(True, [{"_id": "a:1"}, {"_id": "b:2"}],
                             {NETWORK_LEASE: lease("a:1", None), "shard:0": lease("b:2", 0)})
    assert wire(rebuilt(HealthAnswer, {"health": per_node})) == wire({"health": per_node})
    with pytest.raises(ValidationError):
        HealthAnswer.model_validate({"health": {"gateway_status": "sleeping"}})


def counted() -> Counters:
    counters = Counters()
    counters.inc("messages_sent", {"type": "text"}, 2)
    counters.inc("web_requests", {"state": "success"})
    counters.observe("api_requests_duration_ms", {"method": "GET_metrics", "result": "success"}, 20.5)
    return counters


def test_stats_answers_single_and_per_node():
    snapshot = counted().snapshot()
    single = {"stats": {"app": to_json(APP, snapshot)}}
    assert wire(rebuilt(AppStatsAnswer, single)) == wire(single)
    per_node = {"stats": {"a:1": {"db": to_json(DB, snapshot)}, "b:2": {"db": to_json(DB, {})}}}
    assert wire(rebuilt(DbStatsAnswer, per_node)) == wire(per_node)


def test_metrics_answer_has_every_web_metric_and_histograms():
    body = to_json(WEB, counted().snapshot())
    assert wire(rebuilt(WebMetrics, body)) == wire(body)
    assert list(WebMetrics.model_fields) == [metric.name for metric in WEB]


def test_metric_labels_are_the_declared_ones():
    body = to_json(APP, counted().snapshot())
    body["messages_sent"]["data"][0]["labels"] = {"kind": "text"}
    with pytest.raises(ValidationError):
        AppStatsAnswer.model_validate({"stats": {"app": body}})
