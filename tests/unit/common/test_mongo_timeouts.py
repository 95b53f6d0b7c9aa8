from services.common.mongo import REQUEST_TIMEOUTS, SERVICE_TIMEOUTS, Timeouts


def test_unset_options_are_left_to_pymongo():
    assert Timeouts(server_selection_ms=5).client_options() == {"serverSelectionTimeoutMS": 5}


def test_the_gateway_bounds_every_operation_well_inside_2_s():
    options = REQUEST_TIMEOUTS.client_options()
    assert set(options) == {"serverSelectionTimeoutMS", "connectTimeoutMS", "timeoutMS", "heartbeatFrequencyMS"}
    # pymongo checks its deadlines in 500 ms steps: the answer comes up to 0.5 s late.
    assert max(options["timeoutMS"], options["serverSelectionTimeoutMS"]) + 500 <= 1_500
    assert options["heartbeatFrequencyMS"] <= 1_000  # a return is seen within the 2 s bound


def test_workers_keep_waiting_out_a_short_restart():
    assert SERVICE_TIMEOUTS.client_options() == {"serverSelectionTimeoutMS": 10_000}
