from services.common.sharding import SERVER_SHARDS, server_shard, shard_for


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
