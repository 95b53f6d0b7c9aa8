from datetime import UTC, datetime, timedelta

from services.media import catalogue, gc


def test_the_callback_of_a_run_is_the_spec_shape():
    assert gc.callback_payload("complete", items_deleted=5) == {
        "services": [{"media": {"gc": {"items_deleted": 5, "status": "complete"}}}]}
    failed = gc.callback_payload("failed", error="boom")["services"][0]["media"]["gc"]
    assert failed["status"] == "failed" and failed["errors"][0]["details"] == "boom"


def test_garbage_is_30_days_unused_or_an_upload_dead_for_an_hour():
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert gc.cutoffs(now) == {"unused_before": now - timedelta(days=30),
                               "stale_upload_before": now - catalogue.STALE_UPLOAD}
