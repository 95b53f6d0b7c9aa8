from __future__ import annotations

import copy
import json

import pytest

from services.protocol import DecryptionError, Envelope, ProtocolError, Session


def _envelope(content: dict, **overrides: object) -> Envelope:
    fields: dict = {
        "id": "wamid.ABC123",
        "sender": "15550001111",
        "recipient": "15550100",
        "timestamp": 1_700_000_000,
        "content": content,
    }
    fields.update(overrides)
    return Envelope(**fields)


def test_to_dict_shape_and_round_trip(sessions: tuple[Session, Session]) -> None:
    a, _ = sessions
    envelope = _envelope(a.encrypt(b"x"))
    data = envelope.to_dict()
    assert set(data) == {"v", "id", "from", "to", "timestamp", "content"}
    assert data["v"] == 1 and data["from"] == "15550001111" and data["to"] == "15550100"
    assert Envelope.from_dict(json.loads(json.dumps(data))) == envelope


def test_associated_data_is_canonical_and_covers_routing(
    sessions: tuple[Session, Session],
) -> None:
    a, _ = sessions
    content = a.encrypt(b"x")
    base = _envelope(content)
    assert base.associated_data() == (
        b"wa-onprem/envelope/v1\x01\x00\x0cwamid.ABC123\x00\x0b15550001111\x00\x0815550100"
    )
    assert _envelope(content, timestamp=1).associated_data() == base.associated_data()
    others = {
        _envelope(content, id="wamid.ABC124").associated_data(),
        _envelope(content, sender="15550001112").associated_data(),
        _envelope(content, recipient="15550101").associated_data(),
        # Length prefixes keep field boundaries: moving a character is a change.
        _envelope(content, sender="1555000111", recipient="115550100").associated_data(),
    }
    assert base.associated_data() not in others and len(others) == 4


def test_relay_cannot_reroute(sessions: tuple[Session, Session]) -> None:
    a, b = sessions
    sent = _envelope({})
    content = a.encrypt(b"for bob only", associated=sent.associated_data())
    rerouted = _envelope(content, recipient="15559999999")
    relabelled = _envelope(content, id="wamid.OTHER")
    for forged in (rerouted, relabelled):
        received = Envelope.from_dict(forged.to_dict())
        with pytest.raises(DecryptionError):
            b.decrypt(received.content, associated=received.associated_data())
    received = Envelope.from_dict(_envelope(content).to_dict())
    assert b.decrypt(received.content, associated=received.associated_data()) == b"for bob only"


def test_from_dict_validation(sessions: tuple[Session, Session]) -> None:
    a, _ = sessions
    good = _envelope(a.encrypt(b"x")).to_dict()

    def variant(**changes: object) -> dict:
        out = copy.deepcopy(good)
        out.update(changes)
        return out

    missing_to = copy.deepcopy(good)
    del missing_to["to"]
    bad_inputs: list[object] = [
        None,
        "envelope",
        [],
        missing_to,
        variant(v=2),
        variant(v=True),
        variant(v="1"),
        variant(id=""),
        variant(id=5),
        variant(id="x" * 129),
        variant(**{"from": None}),
        variant(to=""),
        variant(timestamp="1700000000"),
        variant(timestamp=-1),
        variant(timestamp=1.5),
        variant(timestamp=False),
        variant(content="body"),
        variant(content={"kind": "message"}),
        variant(extra="field"),
    ]
    for bad in bad_inputs:
        with pytest.raises(ProtocolError):
            Envelope.from_dict(bad)
