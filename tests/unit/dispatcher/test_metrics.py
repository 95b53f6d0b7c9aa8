from services.stats import counters as stats_counters
from services.webhook_dispatcher import metrics


def test_delivery_outcomes_count_callback_requests_by_result_and_type():
    stats_counters.COUNTERS.reset()
    try:
        before = metrics.DELIVERED._value.get()
        metrics.delivered("status:ABC:delivered")
        metrics.attempt_failed("in:XYZ", 503)
        metrics.attempt_failed("in:XYZ", None)
        assert metrics.DELIVERED._value.get() == before + 1
        found = {tuple(sorted(s["labels"].items())): s["value"]
                 for s in stats_counters.COUNTERS.snapshot("dispatcher")["callback_requests"]}
        assert found == {(("result", "success"), ("type", "status_change")): 1,
                         (("result", "failure"), ("type", "inbound_message")): 2}
    finally:
        stats_counters.COUNTERS.reset()
