"""Network notifications reach the handler of their kind; unknown kinds are dropped."""

from __future__ import annotations

import pytest

from services.core_worker import notifications


def test_a_notification_reaches_the_handler_of_its_kind():
    seen = []
    notifications.handles("test_kind_seen")(lambda ctx, n: seen.append((ctx, n)))
    notifications.handle("ctx", {"kind": "test_kind_seen", "from": "1555"})
    assert seen == [("ctx", {"kind": "test_kind_seen", "from": "1555"})]


@pytest.mark.parametrize("notification", [{"kind": "nobody_handles_this"}, {}, {"kind": 7}])
def test_unknown_or_malformed_kinds_are_dropped(notification):
    notifications.handle("ctx", notification)  # no handler, no error


def test_a_kind_has_one_handler():
    notifications.handles("test_kind_twice")(lambda ctx, n: None)
    with pytest.raises(RuntimeError):
        notifications.handles("test_kind_twice")(lambda ctx, n: None)
