"""The template cache against real MongoDB."""

from __future__ import annotations

from services.templates import store as template_store


def _template(name: str, status: str = "APPROVED", language: str = "en_US") -> dict:
    return {"id": f"id-{name}", "namespace": "ns", "name": name, "language": language, "category": "UTILITY",
            "status": status, "components": [{"type": "BODY", "text": "Hello"}]}


def test_the_cache_becomes_what_the_network_lists(db):
    assert template_store.replace_all(db, [_template("a"), _template("b"), {"name": "malformed"}]) == 2
    assert template_store.replace_all(db, [_template("a", "PAUSED")]) == 1
    docs = list(db.templates.find({}, {"synced_at": 0}))
    assert docs == [{"_id": "ns:a:en_US", **_template("a", "PAUSED")}]
    assert db.sync_markers.find_one({"_id": "templates"})["count"] == 1
    assert template_store.current_status(db, "ns", "a", "en_US") == "PAUSED"
    assert template_store.replace_all(db, []) == 0
    assert db.templates.count_documents({}) == 0


def test_a_templates_languages_and_statuses_are_read_from_the_cache(db):
    template_store.replace_all(db, [_template("a"), _template("a", "PAUSED", "fr"), _template("b")])
    assert sorted(t["language"] for t in template_store.translations(db, "ns", "a")) == ["en_US", "fr"]
    assert template_store.translations(db, "ns", "a")[0].keys() == _template("a").keys()
    keys = [template_store.template_key("ns", "a", "fr"), template_store.template_key("ns", "gone", "en_US")]
    assert template_store.current_statuses(db, keys) == {"ns:a:fr": "PAUSED"}
