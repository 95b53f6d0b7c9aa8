from __future__ import annotations

import pytest

from services.api_gateway.client_address import UNKNOWN, client_address, trusted_networks

PROXIES = trusted_networks(["10.0.0.0/8", "fd00::/8", "192.0.2.7"])


def test_nothing_trusted_means_the_peer_whatever_the_header_says():
    assert client_address("203.0.113.5", ["198.51.100.1"], ()) == "203.0.113.5"


def test_an_untrusted_peer_is_the_client_even_with_trusted_proxies_configured():
    assert client_address("203.0.113.5", ["198.51.100.1"], PROXIES) == "203.0.113.5"


def test_the_chain_is_walked_from_the_right_to_the_first_untrusted_address():
    # The client forged "1.1.1.1"; the edge proxy appended the address it saw.
    assert client_address("10.0.0.2", ["1.1.1.1, 198.51.100.9", "10.0.0.1"], PROXIES) == "198.51.100.9"
    assert client_address("192.0.2.7", ["198.51.100.9"], PROXIES) == "198.51.100.9"


def test_when_every_hop_is_trusted_the_leftmost_is_the_client():
    assert client_address("10.0.0.2", ["10.0.0.3, 10.0.0.1"], PROXIES) == "10.0.0.3"
    assert client_address("10.0.0.2", [], PROXIES) == "10.0.0.2"


@pytest.mark.parametrize(("entry", "client"), [
    ("198.51.100.9:4711", "198.51.100.9"), ("[2001:db8::1]:443", "2001:db8::1"), ("2001:db8::1", "2001:db8::1"),
    (" ::ffff:198.51.100.9 ", "198.51.100.9"),
])
def test_header_entries_with_ports_brackets_or_mapped_forms(entry, client):
    assert client_address("10.0.0.1", [entry], PROXIES) == client


def test_an_unreadable_hop_stops_the_walk_at_the_proxy_that_wrote_it():
    assert client_address("10.0.0.1", ["198.51.100.9, garbage"], PROXIES) == "10.0.0.1"


def test_an_ipv4_mapped_peer_is_matched_against_ipv4_networks():
    assert client_address("::ffff:10.0.0.1", ["198.51.100.9"], PROXIES) == "198.51.100.9"


def test_no_peer_is_unknown():
    assert client_address(None, ["198.51.100.9"], PROXIES) == UNKNOWN


def test_a_wrong_cidr_is_refused():
    with pytest.raises(ValueError):
        trusted_networks(["10.0.0.0/33"])
