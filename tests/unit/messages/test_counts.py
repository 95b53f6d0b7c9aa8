from services.messages.counts import rows_of_shards


def test_rows_of_shards_is_a_filter_on_their_server_shard_ranges():
    assert rows_of_shards([2, 0], 4) == {"$or": [{"server_shard": {"$gte": 0, "$lt": 256}},
                                                 {"server_shard": {"$gte": 512, "$lt": 768}}]}
    assert rows_of_shards(None) == {"server_shard": {"$exists": False}}  # rows of an older version
