"""The egress policy, without I/O: which addresses the server may connect to on a user's
or an admin's behalf (a media ``link`` and its redirects, a media provider's host, the
webhook URL), and the operator's exceptions, ``WA_EGRESS_ALLOW``.

Refused unless allowed: loopback, private (RFC 1918, and IPv6 site-local), link-local
(169.254/16 with the cloud metadata address, fe80::/10), unique-local (fc00::/7), shared
CGNAT space (100.64/10), multicast, broadcast, unspecified, and the reserved and
documentation ranges. An IPv6 address that carries an IPv4 one (IPv4-mapped
``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, SIIT ``::ffff:0:a.b.c.d``, 6to4
``2002:AABB:CCDD::``, NAT64 ``64:ff9b::a.b.c.d``) is judged by the IPv4 address it
carries, since that is where a translating network delivers it.

``WA_EGRESS_ALLOW`` is a comma-separated list of CIDRs (``10.0.0.0/8``, ``fd00::/8``; a
bare address is its /32 or /128) and ``host:port`` entries (``127.0.0.1:8080``,
``[::1]:8080``, ``hooks.internal:443``): a connection is allowed when its address is in
one of the CIDRs, or when its port and either its address or the host name of the URL
are listed together. I/O (resolving, connecting) is services/common/egress_http.py's.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}

ALLOW_VARIABLE = "WA_EGRESS_ALLOW"

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# (network, what it is), most specific first where they nest; IPv4 (RFC 6890 and friends).
_REFUSED_V4: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "shared (CGNAT)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "reserved"),
    (_V4("192.0.2.0/24"), "reserved (documentation)"),
    (_V4("192.88.99.0/24"), "reserved"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "reserved (benchmarking)"),
    (_V4("198.51.100.0/24"), "reserved (documentation)"),
    (_V4("203.0.113.0/24"), "reserved (documentation)"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
)

_REFUSED_V6: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("64:ff9b:1::/48"), "private (local-use NAT64)"),
    (_V6("100::/64"), "reserved (discard-only)"),
    (_V6("2001:db8::/32"), "reserved (documentation)"),
    (_V6("2001::/23"), "reserved"),  # IETF protocol assignments, Teredo among them
    (_V6("3fff::/20"), "reserved (documentation)"),
    (_V6("5f00::/16"), "reserved (segment routing)"),
    (_V6("fc00::/7"), "unique-local"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "private (site-local)"),
    (_V6("ff00::/8"), "multicast"),
)

_MAPPED = _V6("::ffff:0:0/96")
_SIIT = _V6("::ffff:0:0:0/96")
_COMPATIBLE = _V6("::/96")
_NAT64 = _V6("64:ff9b::/96")
_SIX_TO_FOUR = _V6("2002::/16")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, SIIT, compatible, NAT64, 6to4), or None."""
    value = int(address)
    if address in _MAPPED or address in _SIIT or address in _NAT64:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address in _COMPATIBLE and value > 1:  # :: and ::1 are themselves, not 0.0.0.0 and 0.0.0.1
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF)
    return None


def address_class(address: IPAddress) -> str | None:
    """What kind of refused address this is ("loopback", "private", …), or None for a
    public one."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = embedded_ipv4(address)
        if carried is not None:
            return address_class(carried)
        table: tuple[tuple[IPNetwork, str], ...] = _REFUSED_V6
    else:
        table = _REFUSED_V4
    for network, name in table:
        if address in network:
            return name
    return None


@dataclass(frozen=True)
class EgressAllow:
    """The operator's exceptions (``WA_EGRESS_ALLOW``), parsed by :func:`parse_allow`."""

    networks: tuple[IPNetwork, ...] = ()
    endpoints: frozenset[tuple[str, int]] = frozenset()
    """(host, port): host is a lower-case name or an address in its compressed form."""

    def __bool__(self) -> bool:
        return bool(self.networks or self.endpoints)

    def permits(self, address: IPAddress, port: int, host: str | None = None) -> bool:
        """Whether the operator allowed this connection: the address in a listed CIDR, or
        the port listed with the address or with the URL's host name."""
        if any(address.version == network.version and address in network for network in self.networks):
            return True
        if (str(address), port) in self.endpoints:
            return True
        return host is not None and (normal_host(host), port) in self.endpoints

    def names(self, host: str, port: int) -> bool:
        """Whether the URL's host and port are explicitly listed (a ``host:port`` entry, or
        a literal address in a listed CIDR): what lets credentials travel over plain HTTP."""
        address = literal_address(host)
        if address is not None:
            return self.permits(address, port)
        return (normal_host(host), port) in self.endpoints

    def describe(self) -> str:
        parts = [str(network) for network in self.networks]
        parts += [f"[{host}]:{port}" if ":" in host else f"{host}:{port}" for host, port in sorted(self.endpoints)]
        return ",".join(parts)


def normal_host(host: str) -> str:
    """A URL host as the allow list compares it: lower case, without brackets and the
    trailing dot of a fully qualified name; an address in its compressed form."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.rstrip(".")
    address = literal_address(host)
    return str(address) if address is not None else host


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host spells literally, or None for a name. Also the legacy IPv4
    spellings ``getaddrinfo`` accepts (``127.1``, ``0x7f.1``, ``2130706433``), so that they
    are judged at once rather than taken for names."""
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.split("%", 1)[0].rstrip(".")  # an IPv6 zone; a fully qualified spelling
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def parse_allow(value: str | None) -> EgressAllow:
    """``WA_EGRESS_ALLOW``: comma-separated CIDRs (or bare addresses) and ``host:port``
    entries; ValueError names the first entry that is neither."""
    networks: list[IPNetwork] = []
    endpoints: set[tuple[str, int]] = set()
    for raw in (value or "").split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=True))
            continue
        except ValueError as error:
            if "/" in entry:
                raise ValueError(f"{ALLOW_VARIABLE}: '{entry}' is not a CIDR ({error})") from None
        endpoints.add(_endpoint(entry))
    return EgressAllow(tuple(networks), frozenset(endpoints))


def _endpoint(entry: str) -> tuple[str, int]:
    if entry.startswith("["):
        host, bracket, port_text = entry[1:].partition("]:")
        if not bracket or ipaddress.ip_address(host).version != 6:
            raise ValueError(f"{ALLOW_VARIABLE}: '{entry}' is not [IPv6]:port")
    else:
        host, colon, port_text = entry.rpartition(":")
        if not colon or not host or ":" in host:
            raise ValueError(f"{ALLOW_VARIABLE}: '{entry}' is neither a CIDR nor host:port "
                             "(a host name needs its port; an IPv6 address with a port is [addr]:port)")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{ALLOW_VARIABLE}: '{entry}' has no valid port")
    if not all(c.isalnum() or c in ".-_[]:" for c in host):
        raise ValueError(f"{ALLOW_VARIABLE}: '{entry}' has an invalid host")
    return normal_host(host), int(port_text)


def _refused_parts(address: IPAddress, port: int, allow: EgressAllow,
                   host: str | None) -> tuple[str, ipaddress.IPv4Address | None] | None:
    found = address_class(address)
    if found is None or allow.permits(address, port, host):
        return None
    article = "an" if found.startswith(("unspecified", "a", "e", "i", "o")) else "a"
    carried = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    return f"{article} {found} address", carried


def refused_as(address: IPAddress, port: int, allow: EgressAllow, host: str | None = None) -> str | None:
    """What a refused address is ("127.0.0.1, a loopback address"; "::ffff:7f00:1 (127.0.0.1,
    a loopback address)"), or None when a connection to ``address:port`` (for the URL host
    ``host``) may be made: a public address, or one the operator allowed."""
    parts = _refused_parts(address, port, allow, host)
    if parts is None:
        return None
    kind, carried = parts
    return f"{address} ({carried}, {kind})" if carried is not None else f"{address}, {kind}"


def refusal(address: IPAddress, port: int, allow: EgressAllow, host: str | None = None) -> str | None:
    """Why a connection to ``address:port`` is refused, as a sentence ("127.0.0.1 is a
    loopback address"), or None when it may be made."""
    parts = _refused_parts(address, port, allow, host)
    if parts is None:
        return None
    kind, carried = parts
    return f"{address} carries {carried}, {kind}" if carried is not None else f"{address} is {kind}"


@dataclass(frozen=True)
class UrlParts:
    scheme: str  # lower case
    host: str  # as normal_host gives it
    port: int | None


def split_url(url: str) -> UrlParts:
    """A URL's scheme, host and port as the connection will see them. requests connects
    to the host urllib3's ``parse_url`` finds, and urllib.parse reads some URLs
    differently (a backslash ends urllib3's authority but not urlsplit's:
    ``https://evil\\@good/`` goes to ``evil``): a URL the two read differently is
    refused (ValueError), so no check here can judge another host than the one
    connected to."""
    try:
        ours = urlsplit(url)
        ours_port = ours.port
        theirs = parse_url(url)
    except (ValueError, LocationParseError):
        raise ValueError("not a valid URL") from None
    scheme, host = ours.scheme.lower(), normal_host(ours.hostname or "")
    if ((theirs.scheme or "").lower(), normal_host(theirs.host or ""), theirs.port) != (
            scheme, host, ours_port):
        raise ValueError("ambiguous (URL parsers read its host differently)")
    return UrlParts(scheme, host, ours_port)


def url_refusal(url: str, allow: EgressAllow) -> str | None:
    """What can be told of a URL without resolving it: a scheme other than http(s), no
    host, or a host that is a refused literal address. None: it may be tried (a name is
    judged when it is resolved, services/common/egress_http.py)."""
    try:
        parts = split_url(url)
    except ValueError as error:
        return f"it is {error}"
    if parts.scheme not in SCHEMES:
        return "only http and https URLs are fetched"
    if not parts.host:
        return "it has no host"
    address = literal_address(parts.host)
    if address is None:
        return None
    reason = refusal(address, parts.port or DEFAULT_PORTS[parts.scheme], allow)
    return f"{reason}, which the server does not connect to unless {ALLOW_VARIABLE} allows it" if reason else None


def parse_host_entry(entry: str) -> tuple[str, int | None]:
    """A media provider's ``hosts`` item, ``host`` or ``host:port`` (``[v6]:port``):
    (normalised host, port or None for any port of the scheme's default). ValueError
    when it is neither."""
    entry = entry.strip()
    if entry.startswith("["):
        host, bracket, rest = entry[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None
        if not bracket or (rest and port_text is None):
            raise ValueError("not host or host:port")
    elif entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
    elif ":" in entry:
        host, port_text = entry, None  # a bare IPv6 address
    else:
        host, port_text = entry, None
    if port_text is not None and (not port_text.isdigit() or not 0 < int(port_text) < 65536):
        raise ValueError("invalid port")
    if not host or not all(c.isalnum() or c in ".-_:" for c in host) or host.startswith((".", "-")):
        raise ValueError("invalid host")
    if ":" in host and literal_address(host) is None:
        raise ValueError("invalid host")
    return normal_host(host), int(port_text) if port_text is not None else None


def host_entry(host: str, port: int | None) -> str:
    """A provider's ``hosts`` item as stored and shown: ``host``, ``host:port``, ``[v6]:port``."""
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def credentials_refusal(hosts: tuple[str, ...] | None, url: str, allow: EgressAllow) -> str | None:
    """Why a media provider's credentials may not go with a request for ``url``, or None
    when they may: the URL's host is one its ``hosts`` names (a ``host`` alone is its
    scheme's default port), over https, or over http to a host ``WA_EGRESS_ALLOW`` names
    (a ``host:port`` entry, or an address in a listed CIDR)."""
    if hosts is None:
        return ("the provider has no 'hosts', so its credentials go nowhere: add 'hosts' to it, "
                "the list of host or host:port its links are on")
    try:
        parts = split_url(url)
    except ValueError as error:
        return f"the link is {error}"
    scheme, host = parts.scheme, parts.host
    port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    named = False
    for entry in hosts:
        try:
            entry_host, entry_port = parse_host_entry(entry)
        except ValueError:
            continue
        if entry_host == host and (entry_port == port or (entry_port is None and port == DEFAULT_PORTS.get(scheme))):
            named = True
            break
    if not named:
        return f"the link's host {host_entry(host, port)} is not one of the provider's 'hosts'"
    if scheme != "https" and not allow.names(host, port):
        return (f"the provider's credentials go over https only (or to a host {ALLOW_VARIABLE} names), "
                f"and the link is {scheme}")
    return None
