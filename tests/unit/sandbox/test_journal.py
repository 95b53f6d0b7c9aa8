"""The journal's pure parts: change collection (sandbox/changes.py) and the line format
(sandbox/journal.py)."""

from __future__ import annotations

from sandbox.changes import Changes
from sandbox.journal import decode_batch, encode_batch, read_batches


def test_nothing_is_collected_without_a_state_file():
    changes = Changes()
    changes.mark("item", "1", "a")
    changes.logged({"id": "e"})
    assert changes.seq == 0 and not changes.pending() and not changes.take()


def test_a_key_keeps_its_first_position_and_counts_every_change():
    woken = []
    changes = Changes(enabled=True)
    changes.on_change = lambda: woken.append(1)
    changes.mark("item", "1", "a")
    changes.mark("phone", "1")
    changes.mark("item", "1", "a")  # pushed, then acknowledged: written once, where it first changed
    changes.logged({"id": "e1"})
    batch = changes.take()
    assert batch.seq == 4 and len(woken) == 4
    assert batch.keys == [("item", "1", "a"), ("phone", "1")]
    assert batch.log == [{"id": "e1"}]
    assert not changes.pending() and not changes.take()


def test_a_batch_put_back_goes_before_newer_changes():
    changes = Changes(enabled=True)
    changes.mark("item", "1", "a")
    changes.logged({"id": "e1"})
    failed = changes.take()
    changes.mark("item", "1", "b")
    changes.mark("item", "1", "a")
    changes.logged({"id": "e2"})
    changes.put_back(failed)
    again = changes.take()
    assert again.keys == [("item", "1", "a"), ("item", "1", "b")]
    assert again.log == [{"id": "e1"}, {"id": "e2"}]
    assert again.seq == 5  # every change so far


def test_a_batch_line_round_trips():
    line = encode_batch(7, [(("item", "1", "a"), {"id": "a", "type": "receipt"}), (("phone", "1"), None),
                            (("message", "1", 3), {"id": "m"})], [{"v": 1, "id": "e"}])
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    batch = decode_batch(line[:-1])
    assert batch.seq == 7
    assert batch.records == [(("item", "1", "a"), {"id": "a", "type": "receipt"}), (("phone", "1"), None),
                             (("message", "1", 3), {"id": "m"})]
    assert batch.log == [{"v": 1, "id": "e"}]


def test_a_torn_tail_is_dropped_whole():
    first = encode_batch(1, [(("user", "1"), {"wa_id": "1"})], [])
    second = encode_batch(2, [(("user", "2"), {"wa_id": "2"})], [{"id": "e"}])
    data = first + second
    assert read_batches(data) == ([decode_batch(first[:-1]), decode_batch(second[:-1])], len(data))
    # SIGKILL in the middle of the second write, or just before its newline.
    for cut in (len(first) + 5, len(data) - 1):
        batches, intact = read_batches(data[:cut])
        assert [b.seq for b in batches] == [1] and intact == len(first)
    assert read_batches(b"") == ([], 0)


def test_reading_stops_at_a_line_that_is_not_a_batch():
    first = encode_batch(1, [], [{"id": "e"}])
    third = encode_batch(3, [], [])
    for bad in (b"{not json\n", b"[1, 2]\n", b'{"seq": "x"}\n', b'{"seq": 2, "set": [["user"]]}\n',
                b'\xff\xfe\n'):
        batches, intact = read_batches(first + bad + third)
        assert [b.seq for b in batches] == [1] and intact == len(first), bad
