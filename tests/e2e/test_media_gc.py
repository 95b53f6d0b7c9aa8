"""Media GC through the real processes: the gateway answers ``processing``, the media
worker deletes what is unused for 30 days and the webhook gets the §12 callback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pymongo

from tests.e2e.test_media import upload


def test_the_media_worker_collects_and_reports(stack, api, webhook):
    old, kept = (upload(api, b"\xff\xd8\xff" + bytes([n]) * 64, "image/jpeg").json()["media"][0]["id"]
                 for n in range(2))
    db = pymongo.MongoClient(stack.env["WA_MONGO_URL"], tz_aware=True)[stack.env["WA_MONGO_DB"]]
    db.media.update_one({"_id": old}, {"$set": {"last_used_at": datetime.now(UTC) - timedelta(days=40)}})

    answer = api("PUT", "/v1/services/media/gc")
    assert answer.status_code == 200 and answer.json()["services"]["media"]["gc"]["status"] == "processing"

    def reported():
        # The message GC reports to the same webhook: only the media GC's callback counts here.
        return [body for body in webhook.bodies() if "media" in (body.get("services") or [{}])[0]]

    report = webhook.wait_for(reported, timeout=30)[0]
    gc = report["services"][0]["media"]["gc"]
    assert gc["status"] == "complete" and gc["items_deleted"] >= 1
    assert api("GET", f"/v1/media/{old}").status_code == 404
    assert api("GET", f"/v1/media/{kept}").status_code == 200
