"""Which address a request comes from, for login throttling (docs/design.md "Login
throttling"). Pure.

Behind reverse proxies the socket's peer is the last proxy, and every client would
share its address. ``X-Forwarded-For`` names the hops, but anyone can write it, so it
is believed only as far as the operator says (``WA_TRUSTED_PROXIES``: CIDRs of their
proxies): walking the chain from the right (the peer, then the header's entries from
the last), the first address that is not a trusted proxy is the client. Nothing
trusted (the default): the peer. A header that the proxies did not write is to the
left of the address the nearest one appended, so the walk stops before reaching it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "unknown"


def trusted_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """``WA_TRUSTED_PROXIES``'s CIDRs (a plain address is a /32 or /128); raises
    ValueError for one that is not, so a wrong setting stops the gateway at start."""
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: tuple[Network, ...]) -> str:
    """The client's address as text: ``peer`` is the socket's, ``forwarded_for`` the
    values of every ``X-Forwarded-For`` header in order."""
    client = _parse(peer)
    if client is None:
        return UNKNOWN
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    while _is_trusted(client, trusted) and hops:
        previous = _parse(hops.pop())
        if previous is None:
            break  # a trusted proxy wrote something unreadable: the client is that proxy
        client = previous
    return str(client)


def _is_trusted(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def _parse(text: str | None) -> Address | None:
    """An address from a peer or a header entry (``1.2.3.4``, ``1.2.3.4:80``, ``::1``,
    ``[::1]:80``), IPv4-mapped IPv6 as IPv4; None when it is none."""
    text = (text or "").strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
