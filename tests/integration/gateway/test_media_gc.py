"""``PUT /v1/services/media/gc`` (spec §12) on the real servers: the request answers
``processing`` at once, and the media worker's run deletes exactly the media unused for
30 days and the dead uploads, object and document, then reports by callback."""

from __future__ import annotations

from datetime import timedelta

from services.common.clock import utcnow
from services.media import catalogue, gc
from services.media.object_store import ObjectStore
from tests.integration.gateway.test_media import config, objects, s3, upload  # noqa: F401 (fixtures)

JPEG = b"\xff\xd8\xff\xe0" + b"x" * 100


def _uploaded(client, auth) -> str:
    answer = upload(client, auth, JPEG, "image/jpeg")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()["media"][0]["id"]


def test_a_run_deletes_what_is_unused_for_30_days_and_reports_it(client, auth, db, config, s3):  # noqa: F811
    old, recent, fresh = (_uploaded(client, auth) for _ in range(3))
    db.media.update_one({"_id": old}, {"$set": {"last_used_at": utcnow() - timedelta(days=31)}})
    db.media.update_one({"_id": recent}, {"$set": {"last_used_at": utcnow() - timedelta(days=29)}})
    dead_upload = catalogue.new_id()
    catalogue.begin_upload(db, dead_upload, owner="admin", mime_type="image/jpeg")
    db.media.update_one({"_id": dead_upload}, {"$set": {"created_at": utcnow() - timedelta(hours=2)}})

    answer = client.put("/v1/services/media/gc", headers=auth)
    assert answer.status_code == 200
    assert answer.get_json()["services"] == {"media": {"gc": {"status": "processing"}}}
    run = db.service_runs.find_one({"_id": gc.KIND})
    assert run["status"] == "processing"
    # A second request while it runs joins it: no second run.
    client.put("/v1/services/media/gc", headers=auth)
    assert db.service_runs.find_one({"_id": gc.KIND})["run"] == run["run"]

    celery = client.application.extensions["wa_gateway"].celery
    gc.run(db, ObjectStore.from_config(config), celery, run["run"])  # what the media worker does

    assert sorted(doc["_id"] for doc in db.media.find()) == sorted([recent, fresh])
    assert sorted(objects(s3, config)) == sorted(catalogue.object_key(m) for m in (recent, fresh))
    callback = db.pending_callbacks.find_one({"_id": f"media-gc:{run['run']}"})
    assert callback["payload"] == {"services": [{"media": {"gc": {"items_deleted": 2, "status": "complete"}}}]}
    assert db.service_runs.find_one({"_id": gc.KIND})["status"] == "complete"
    gc.run(db, ObjectStore.from_config(config), celery, run["run"])  # a repeated kick reports nothing twice
    assert db.pending_callbacks.count_documents({"_id": {"$regex": "^media-gc:"}}) == 1


def test_an_abandoned_run_is_started_again(client, auth, db):
    client.put("/v1/services/media/gc", headers=auth)
    first = db.service_runs.find_one({"_id": gc.KIND})
    db.service_runs.update_one({"_id": gc.KIND}, {"$set": {"started_at": utcnow() - timedelta(minutes=5)}})
    client.put("/v1/services/media/gc", headers=auth)
    assert db.service_runs.find_one({"_id": gc.KIND})["run"] != first["run"]
    assert gc.unfinished(db) is not None



def test_a_run_whose_kick_fails_is_refused_with_503_and_not_recorded(client, auth, db, monkeypatch):
    import redis

    celery = client.application.extensions["wa_gateway"].celery

    def redis_down(*_args, **_kwargs):
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(celery, "send_task", redis_down)
    for path, kind in (("/v1/services/media/gc", gc.KIND), ("/v1/services/message/gc", "message_gc")):
        response = client.put(path, headers=auth)
        assert response.status_code == 503
        assert response.get_json()["errors"][0]["code"] == 1016
        assert response.headers["Retry-After"] == "5"
        assert db.service_runs.find_one({"_id": kind}) is None
    monkeypatch.undo()
    assert client.put("/v1/services/media/gc", headers=auth).status_code == 200  # at once, not 2 minutes later
    assert db.service_runs.find_one({"_id": gc.KIND})["status"] == "processing"


def test_a_long_run_goes_on_in_slices_each_a_sign_of_life(client, auth, db, config, s3, monkeypatch):  # noqa: F811
    monkeypatch.setattr(gc, "BATCH", 1)
    monkeypatch.setattr(gc, "SLICE_SECONDS", 0.0)  # every batch ends its slice
    old = [_uploaded(client, auth) for _ in range(3)]
    db.media.update_many({"_id": {"$in": old}}, {"$set": {"last_used_at": utcnow() - timedelta(days=31)}})
    assert client.put("/v1/services/media/gc", headers=auth).status_code == 200
    run_id = db.service_runs.find_one({"_id": gc.KIND})["run"]
    celery, store = client.application.extensions["wa_gateway"].celery, ObjectStore.from_config(config)

    slices = 0
    while db.service_runs.find_one({"_id": gc.KIND})["status"] == "processing":
        db.service_runs.update_one({"_id": gc.KIND}, {"$set": {"started_at": utcnow() - timedelta(minutes=1)}})
        gc.run(db, store, celery, run_id)
        assert utcnow() - db.service_runs.find_one({"_id": gc.KIND})["started_at"] < timedelta(seconds=30)
        slices += 1
        assert slices < 10
    assert slices == 4  # one medium each, then the batch that finds none left
    callback = db.pending_callbacks.find_one({"_id": f"media-gc:{run_id}"})
    assert callback["payload"]["services"][0]["media"]["gc"]["items_deleted"] == 3
