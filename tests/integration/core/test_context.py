"""The core's per-task context on the real MongoDB."""

from __future__ import annotations

from services.settings import app_settings


def test_inside_one_task_the_settings_are_read_once(ctx, db):
    with ctx.one_task():
        assert ctx.settings()["show_security_notifications"] is False
        app_settings.apply_patch(db, {"show_security_notifications": True})
        assert ctx.settings()["show_security_notifications"] is False  # the task sees one set
    assert ctx.settings()["show_security_notifications"] is True  # the next one sees the change
    app_settings.apply_patch(db, {"show_security_notifications": False})
    assert ctx.settings()["show_security_notifications"] is False  # outside a task: every call reads
