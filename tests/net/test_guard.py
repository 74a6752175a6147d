from ipaddress import ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commentluv._net.policy import AddressPolicy, _Networks, is_public_address
from commentluv.errors import BlockedURL, InvalidURL

STRICT = AddressPolicy()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "0.0.0.0",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "169.254.170.2",
        "100.64.0.1",
        "100.100.100.200",
        "192.0.0.192",
        "168.63.129.16",
        "198.18.0.1",
        "198.19.255.255",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "64:ff9b::7f00:1",
        "64:ff9b::808:808",
        "2002:7f00:1::",
        "2001:0:4136:e378::1",
        "2001:db8::1",
    ],
)
def test_refused_addresses(address):
    assert not is_public_address(address)
    with pytest.raises(BlockedURL):
        STRICT.check_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::6810:85e5", "1.1.1.1"])
def test_public_addresses(address):
    assert is_public_address(address)
    STRICT.check_address(address)


@pytest.mark.parametrize(
    "url", ["http://example.com:22/", "https://example.com:6379/", "http://example.com:25/"]
)
def test_non_web_ports_are_blocked(url):
    with pytest.raises(BlockedURL, match="port"):
        STRICT.check_url(url)


@pytest.mark.parametrize(
    "url", ["http://example.com:8080/", "https://example.com:8443/", "https://example.com/"]
)
def test_web_ports_pass(url):
    STRICT.check_url(url)


def test_allowed_ports_are_configurable():
    AddressPolicy(allowed_ports=frozenset({8888})).check_url("http://example.com:8888/")
    with pytest.raises(BlockedURL):
        AddressPolicy(allowed_ports=frozenset({8888})).check_url("http://example.com:8080/")


def test_allow_private_hosts_lifts_address_and_port_rules():
    relaxed = AddressPolicy(allow_private_hosts=True)
    relaxed.check_url("http://127.0.0.1:54321/")
    relaxed.check_address("127.0.0.1")
    # Not an http(s) URL at all: InvalidURL, as normalize_site_url says for the same input.
    with pytest.raises(InvalidURL):
        relaxed.check_url("file:///etc/passwd")


@pytest.mark.parametrize("url", ["http://example.com:99999/", "http://example.com:8x/"])
def test_a_port_that_is_not_a_port_is_an_invalid_url_under_every_policy(url):
    # The policy and the transport share one reading of the URL (url_parts): the policy
    # refuses what the transport could not connect to, as InvalidURL (a ValueError too).
    for policy in (STRICT, AddressPolicy(allow_private_hosts=True)):
        with pytest.raises(InvalidURL):
            policy.check_url(url)


def test_refusals_say_which_option_allows_the_target():
    strict = AddressPolicy()
    # A public host on another port: allowed_ports= opens it (the library's only; the CLI
    # has no port option), or --allow-private-hosts, which opens every port.
    with pytest.raises(BlockedURL) as caught:
        strict.check_url("http://93.184.216.34:8765/")
    assert "port 8765 is not allowed" in caught.value.message
    assert "allowed_ports=" in caught.value.message
    assert "--allow-private-hosts" in caught.value.message
    AddressPolicy(allowed_ports=frozenset({8765})).check_url("http://93.184.216.34:8765/")
    # A loopback or internal target on another port: the address is what is refused, and
    # allowed_ports= would not let it through, so the message does not suggest it.
    for url in ("http://127.0.0.1:8765/", "http://localhost:8765/", "http://[::1]:8765/"):
        with pytest.raises(BlockedURL) as caught:
            strict.check_url(url)
        assert "allowed_ports" not in caught.value.message
        assert "--allow-private-hosts" in caught.value.message
        with pytest.raises(BlockedURL):
            AddressPolicy(allowed_ports=frozenset({8765})).check_url(url)
        AddressPolicy(allow_private_hosts=True).check_url(url)
    for url in ("http://localhost/", "http://10.0.0.1/"):
        with pytest.raises(BlockedURL) as caught:
            strict.check_url(url)
        assert "allow_private_hosts=True" in caught.value.message
        assert "--allow-private-hosts" in caught.value.message
    with pytest.raises(BlockedURL) as caught:
        strict.check_address("10.0.0.1")
    assert "allow_private_hosts=True" in caught.value.message


# Networks of the kinds the policy keeps (private, link-local, a metadata address).
REFUSED = [ip_network("10.0.0.0/8"), ip_network("fe80::/10"), ip_network("192.0.0.192/32")]


@settings(max_examples=300, deadline=None)
@given(
    address=st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)),
    network=st.one_of(
        st.ip_addresses(v=4).flatmap(
            lambda ip: st.integers(0, 32).map(lambda bits: ip_network(f"{ip}/{bits}", strict=False))
        ),
        st.ip_addresses(v=6).flatmap(
            lambda ip: st.integers(0, 128).map(
                lambda bits: ip_network(f"{ip}/{bits}", strict=False)
            )
        ),
    ),
)
def test_the_policys_network_sets_agree_with_ipaddress(address, network):
    # _Networks tests membership on integers (one Python call per check, not per network).
    assert (address in _Networks([network])) == (address in network)
    assert (address in _Networks([network, *REFUSED])) == any(
        address in net for net in (network, *REFUSED)
    )


def test_equal_policies_hash_alike_and_unequal_ones_are_told_apart():
    # The idle connections are kept per policy (a dict key): the hash is computed once.
    one = AddressPolicy(allowed_networks=frozenset({"10.0.0.0/8"}))
    same = AddressPolicy(allowed_networks=frozenset({ip_network("10.0.0.0/8")}))
    assert one == same and hash(one) == hash(same)
    pools = {
        one: "kept",
        AddressPolicy(): "strict",
        AddressPolicy(allow_private_hosts=True): "open",
    }
    assert pools[same] == "kept"
    assert len(pools) == 3
