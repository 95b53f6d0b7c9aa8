"""The §12 callback of a finished run, for each kind (services/callbacks/service_runs.py)."""

from __future__ import annotations

from services.callbacks import service_runs
from services.media import gc as media_gc
from services.messages import gc as message_gc


def test_a_message_gc_callback_counts_messages_deleted():
    assert service_runs.callback_payload(message_gc.RUN, "complete", count=5) == {
        "services": [{"message": {"gc": {"messages_deleted": 5, "status": "complete"}}}]}
    assert service_runs.callback_id(message_gc.RUN, "r1") == "message-gc:r1"


def test_a_failed_run_carries_errors_and_no_count():
    failed = service_runs.callback_payload(message_gc.RUN, "failed", error="boom")["services"][0]["message"]["gc"]
    assert failed == {"status": "failed", "errors": [{"code": 1000, "title": "Generic error", "details": "boom"}]}


def test_a_media_gc_callback_is_keyed_media_and_counts_items():
    assert service_runs.callback_payload(media_gc.RUN, "complete", count=2) == {
        "services": [{"media": {"gc": {"items_deleted": 2, "status": "complete"}}}]}
    assert service_runs.callback_id(media_gc.RUN, "r1") == "media-gc:r1"
