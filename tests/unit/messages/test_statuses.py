import pytest

from services.messages.statuses import carries_pricing
from services.settings.app_settings import DEFAULTS

DISABLED = {**DEFAULTS, "webhook_payload_conversation_pricingmodel_disabled": True}


@pytest.mark.parametrize(("status", "expected"), [("sent", True), ("delivered", True), ("read", False),
                                                  ("failed", False)])
def test_sent_and_delivered_carry_pricing_by_default(status, expected):
    assert carries_pricing(status, DEFAULTS) is expected


@pytest.mark.parametrize("status", ["sent", "delivered", "read", "failed"])
def test_the_deprecated_switch_removes_pricing_from_every_status(status):
    assert carries_pricing(status, DISABLED) is False
