from services.cluster.sharding import SERVER_SHARDS, row_filter, server_range, server_shard, shard_for, shard_of


def test_server_shard_is_crc32_iso_hdlc_of_the_wa_id():
    # 0xCBF43926 is the published CRC-32/ISO-HDLC check value of "123456789".
    assert server_shard("123456789") == 0xCBF43926 % SERVER_SHARDS


def test_shards_own_contiguous_ranges_of_server_shards():
    wa_id = "16315551234"
    assert shard_for(wa_id, 1) == 0
    assert shard_for(wa_id, 32) == server_shard(wa_id) // 32
    assert shard_for(wa_id, 2) == (1 if server_shard(wa_id) >= 512 else 0)


def test_every_shard_count_covers_all_shards():
    for shards in (1, 2, 4, 8, 16, 32):
        seen = {shard_for(str(15550000000 + n), shards) for n in range(5000)}
        assert seen == set(range(shards))


def test_the_ranges_of_a_shard_count_tile_the_server_shards():
    for shards in (1, 2, 4, 8, 16, 32):
        ranges = [server_range(shard, shards) for shard in range(shards)]
        assert ranges[0][0] == 0 and ranges[-1][1] == SERVER_SHARDS
        assert all(ranges[i][1] == ranges[i + 1][0] for i in range(shards - 1))


def test_a_row_is_served_by_the_shard_its_contact_routes_to_under_any_count():
    for n in range(2000):
        wa_id = str(15550000000 + n)
        for shards in (1, 2, 4, 8, 16, 32):
            shard = shard_for(wa_id, shards)
            low, high = server_range(shard, shards)
            assert low <= server_shard(wa_id) < high
            assert shard_of(server_shard(wa_id), shards) == shard
            assert row_filter(shard, shards) == {"server_shard": {"$gte": low, "$lt": high}}
