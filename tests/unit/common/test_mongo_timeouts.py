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


def test_every_client_acknowledges_on_a_majority_journal_and_reads_majority():
    from services.common import mongo
    from services.common.config import Config

    mongo._client.cache_clear()
    client = mongo.get_db(Config(mongo_url="mongodb://127.0.0.1:1/?w=1&connect=false")).client
    try:
        assert client.write_concern.document == {"w": "majority", "j": True}
        assert client.read_concern.level == "majority"
        assert client.options.retry_writes and client.options.retry_reads
    finally:
        client.close()
        mongo._client.cache_clear()


def test_accepted_writes_wait_for_a_majority_journal():
    from pymongo import MongoClient

    from services.common.mongo import accepted

    client: MongoClient = MongoClient("mongodb://127.0.0.1:1/", connect=False, w=1)
    try:
        assert accepted(client.db, "messages").write_concern.document == {"w": "majority", "j": True}
    finally:
        client.close()
