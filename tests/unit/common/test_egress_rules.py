"""The egress policy's pure rules (services/common/egress_rules.py): every address class,
the IPv6 forms that carry an IPv4 address, the allow list, URLs, providers' hosts."""

from __future__ import annotations

import ipaddress

import pytest

from services.common.egress_rules import (
    EgressAllow,
    address_class,
    credentials_refusal,
    embedded_ipv4,
    literal_address,
    parse_allow,
    parse_host_entry,
    refusal,
    refused_as,
    url_refusal,
)

NONE = EgressAllow()


def ip(text: str):
    return ipaddress.ip_address(text)


@pytest.mark.parametrize(("address", "kind"), [
    ("0.0.0.0", "unspecified"), ("0.1.2.3", "unspecified"),
    ("10.0.0.1", "private"), ("10.255.255.255", "private"),
    ("100.64.0.1", "shared (CGNAT)"), ("100.127.255.254", "shared (CGNAT)"),
    ("127.0.0.1", "loopback"), ("127.0.0.2", "loopback"), ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"), ("169.254.0.1", "link-local"),
    ("172.16.0.1", "private"), ("172.31.255.255", "private"),
    ("192.0.0.8", "reserved"), ("192.0.2.1", "reserved (documentation)"), ("192.88.99.1", "reserved"),
    ("192.168.1.1", "private"), ("198.18.0.1", "reserved (benchmarking)"),
    ("198.19.255.255", "reserved (benchmarking)"),
    ("198.51.100.7", "reserved (documentation)"), ("203.0.113.9", "reserved (documentation)"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.254", "reserved"), ("255.255.255.255", "broadcast"),
    ("::", "unspecified"), ("::1", "loopback"),
    ("fc00::1", "unique-local"), ("fd12:3456::1", "unique-local"),
    ("fe80::1", "link-local"), ("febf::1", "link-local"), ("fec0::1", "private (site-local)"),
    ("ff02::1", "multicast"), ("ff05::1:3", "multicast"),
    ("100::1", "reserved (discard-only)"), ("2001:db8::1", "reserved (documentation)"),
    ("2001::1", "reserved"), ("2001:10::1", "reserved"), ("64:ff9b:1::1", "private (local-use NAT64)"),
])
def test_every_refused_class(address, kind):
    assert address_class(ip(address)) == kind


@pytest.mark.parametrize("address", [
    "8.8.8.8", "1.1.1.1", "93.184.215.14", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
    "192.167.255.255", "192.169.0.0", "169.253.255.255", "11.0.0.1", "223.255.255.255",
    "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888",
])
def test_public_addresses_pass(address):
    assert address_class(ip(address)) is None
    assert refusal(ip(address), 443, NONE) is None


@pytest.mark.parametrize(("address", "carried", "kind"), [
    ("::ffff:127.0.0.1", "127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:7f00:1", "127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "169.254.169.254", "link-local"),
    ("::ffff:10.0.0.1", "10.0.0.1", "private"),
    ("::127.0.0.1", "127.0.0.1", "loopback"),  # IPv4-compatible (deprecated)
    ("::10.1.1.1", "10.1.1.1", "private"),
    ("::ffff:0:192.168.0.1", "192.168.0.1", "private"),  # SIIT
    ("64:ff9b::a9fe:a9fe", "169.254.169.254", "link-local"),  # NAT64
    ("64:ff9b::127.0.0.1", "127.0.0.1", "loopback"),
    ("2002:7f00:1::", "127.0.0.1", "loopback"),  # 6to4
    ("2002:a9fe:a9fe::1", "169.254.169.254", "link-local"),
    ("2002:6440:1::", "100.64.0.1", "shared (CGNAT)"),
])
def test_ipv6_forms_carrying_a_refused_ipv4_address_are_refused(address, carried, kind):
    assert str(embedded_ipv4(ip(address))) == carried
    assert address_class(ip(address)) == kind
    assert refusal(ip(address), 80, NONE) == f"{ip(address)} carries {carried}, a {kind} address"


@pytest.mark.parametrize("address", ["::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "::8.8.8.8"])
def test_ipv6_forms_carrying_a_public_ipv4_address_pass(address):
    assert address_class(ip(address)) is None


def test_the_loopback_and_unspecified_ipv6_are_not_taken_for_compatible_forms():
    assert embedded_ipv4(ip("::1")) is None and embedded_ipv4(ip("::")) is None


def test_refusal_wording():
    assert refusal(ip("127.0.0.1"), 80, NONE) == "127.0.0.1 is a loopback address"
    assert refusal(ip("0.0.0.0"), 80, NONE) == "0.0.0.0 is an unspecified address"
    assert refusal(ip("fd00::1"), 80, NONE) == "fd00::1 is a unique-local address"
    assert refused_as(ip("169.254.169.254"), 80, NONE) == "169.254.169.254, a link-local address"
    assert refused_as(ip("::ffff:a9fe:a9fe"), 80, NONE) == "::ffff:a9fe:a9fe (169.254.169.254, a link-local address)"


def test_allow_list_parsing():
    allow = parse_allow(" 10.0.0.0/8, fd00::/8 ,127.0.0.1:8080,[::1]:9443, Hooks.Internal.:443, 192.0.2.7,,")
    assert [str(n) for n in allow.networks] == ["10.0.0.0/8", "fd00::/8", "192.0.2.7/32"]
    assert allow.endpoints == {("127.0.0.1", 8080), ("::1", 9443), ("hooks.internal", 443)}
    assert parse_allow("") == NONE and parse_allow(None) == NONE and not NONE
    assert parse_allow("::1") .networks == (ipaddress.ip_network("::1/128"),)


@pytest.mark.parametrize("value", [
    "10.0.0.1/8",  # host bits set: a typo, not silently widened
    "10.0.0.0/33", "hooks.internal", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "host:port",
    "::1:8080x", "[::1]", "[127.0.0.1]:80", "a b:80", "bad/host:80",
])
def test_invalid_allow_entries_are_errors(value):
    with pytest.raises(ValueError, match="WA_EGRESS_ALLOW"):
        parse_allow(value)


def test_the_allow_list_allows_cidrs_and_exact_endpoints_only():
    allow = parse_allow("10.0.0.0/8,127.0.0.1:8080,[::1]:8443,hooks.internal:443")
    assert refusal(ip("10.9.8.7"), 1234, allow) is None
    assert refusal(ip("127.0.0.1"), 8080, allow) is None
    assert refusal(ip("127.0.0.1"), 8081, allow) == "127.0.0.1 is a loopback address"
    assert refusal(ip("127.0.0.2"), 8080, allow) is not None
    assert refusal(ip("::1"), 8443, allow) is None and refusal(ip("::1"), 8080, allow) is not None
    # A host:port entry by name allows whatever that name resolves to, on that port only.
    assert refusal(ip("172.18.0.5"), 443, allow, host="Hooks.Internal.") is None
    assert refusal(ip("172.18.0.5"), 80, allow, host="hooks.internal") is not None
    assert refusal(ip("172.18.0.5"), 443, allow, host="other.internal") is not None
    # The mapped form of an allowed IPv4 network is not the IPv4 network (judged as written).
    assert refusal(ip("::ffff:10.0.0.1"), 80, allow) is not None


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("::ffff:127.0.0.1", "::ffff:7f00:1"),
    ("127.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
    ("fe80::1%eth0", "fe80::1"), ("example.com", None), ("1.example", None), ("localhost", None),
    ("127.0.0.1.", "127.0.0.1"), ("169.254.169.254.", "169.254.169.254"), ("0x7f.1.", "127.0.0.1"),
])
def test_literal_addresses_in_every_spelling(host, expected):
    found = literal_address(host)
    assert (str(found) if found is not None else None) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://cdn.example/a.png", None),
    ("http://localhost:8080/a.png", None),  # a name: judged when resolved
    ("https://8.8.8.8/a.png", None),
    ("ftp://cdn.example/a.png", "only http and https URLs are fetched"),
    ("file:///etc/passwd", "only http and https URLs are fetched"),
    ("gopher://127.0.0.1:6379/_x", "only http and https URLs are fetched"),
    ("http:///nohost", "it has no host"),
    ("http://h:99999/", "it is not a valid URL"),
    ("http://127.0.0.1/x", "127.0.0.1 is a loopback address"),
    ("http://127.1/x", "127.0.0.1 is a loopback address"),
    ("http://[::1]:9000/x", "::1 is a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe carries 169.254.169.254, a link-local address"),
    ("https://10.0.0.5/x", "10.0.0.5 is a private address"),
    ("https://100.100.100.200/x", "100.100.100.200 is a shared (CGNAT) address"),
    ("http://169.254.169.254./latest/", "169.254.169.254 is a link-local address"),
    # urllib3 (what requests connects with) ends the authority at a backslash: the
    # connection would go to 127.0.0.1 while urlsplit reads cdn.example.
    ("http://127.0.0.1\\@cdn.example/x", "it is ambiguous"),
    ("https://evil.example\\@cdn.example/x", "it is ambiguous"),
    ("https://cdn.example/x?q=a\\b", None),
])
def test_urls(url, expected):
    found = url_refusal(url, NONE)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.startswith(expected), found


def test_an_allowed_literal_url_passes_on_its_port_only():
    allow = parse_allow("127.0.0.1:8080,127.0.0.1:80")
    assert url_refusal("http://127.0.0.1:8080/x", allow) is None
    assert url_refusal("http://127.0.0.1/x", allow) is None  # port 80, the scheme's default
    assert url_refusal("https://127.0.0.1/x", allow) is not None  # 443


@pytest.mark.parametrize(("entry", "parsed"), [
    ("cdn.example", ("cdn.example", None)), ("CDN.Example.", ("cdn.example", None)),
    ("cdn.example:8443", ("cdn.example", 8443)), ("[::1]:443", ("::1", 443)), ("2001:db8::1", ("2001:db8::1", None)),
    ("127.0.0.1:8080", ("127.0.0.1", 8080)),
])
def test_provider_host_entries(entry, parsed):
    assert parse_host_entry(entry) == parsed


@pytest.mark.parametrize("entry", ["", "cdn.example:", "cdn.example:0", "a b", "https://cdn.example", "cdn/x",
                                   "[::1", "[::1]x", "-cdn", "x:y:z.example"])
def test_invalid_provider_host_entries(entry):
    with pytest.raises(ValueError):
        parse_host_entry(entry)


def test_credentials_go_only_to_a_named_host_over_https():
    hosts = ("cdn.example", "files.example:8443")
    assert credentials_refusal(hosts, "https://cdn.example/a.png", NONE) is None
    assert credentials_refusal(hosts, "https://CDN.example:443/a.png", NONE) is None
    assert credentials_refusal(hosts, "https://files.example:8443/a.png", NONE) is None
    assert "cdn.example:8443 is not one of" in credentials_refusal(hosts, "https://cdn.example:8443/a", NONE)
    assert "files.example:443 is not one of" in credentials_refusal(hosts, "https://files.example/a", NONE)
    assert "evil.example:443 is not one of" in credentials_refusal(hosts, "https://evil.example/a", NONE)
    assert "over https only" in credentials_refusal(hosts, "http://cdn.example/a.png", NONE)


def test_credentials_over_http_only_to_a_host_the_allow_list_names():
    hosts = ("127.0.0.1:8080",)
    assert "over https only" in credentials_refusal(hosts, "http://127.0.0.1:8080/a", NONE)
    assert credentials_refusal(hosts, "http://127.0.0.1:8080/a", parse_allow("127.0.0.1:8080")) is None
    assert credentials_refusal(hosts, "http://127.0.0.1:8080/a", parse_allow("127.0.0.0/8")) is None


def test_credentials_never_go_where_url_parsers_disagree_on_the_host():
    found = credentials_refusal(("cdn.example",), "https://evil.example\\@cdn.example/a.png", NONE)
    assert found is not None and "ambiguous" in found


def test_a_provider_without_hosts_sends_its_credentials_nowhere():
    found = credentials_refusal(None, "https://cdn.example/a.png", NONE)
    assert found is not None and "add 'hosts'" in found
