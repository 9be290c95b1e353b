"""Whether nets, minus their exceptions, reach the internet or private (pod) addresses."""

from __future__ import annotations

from auditui.state.nets import networks, reaches_internet, reaches_private


def test_it_finds_public_addresses_left_after_exceptions():
    rfc1918 = networks(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])
    assert reaches_internet(networks(["0.0.0.0/0"]), rfc1918)
    assert reaches_internet(networks(["2001:db8::/32"]))
    assert not reaches_internet(networks(["10.0.0.0/8", "fd00::/8"]))
    assert not reaches_internet(networks(["8.8.8.0/24"]), networks(["8.8.0.0/16"]))


def test_it_finds_private_addresses_left_after_exceptions():
    assert reaches_private(networks(["0.0.0.0/0"]))
    assert not reaches_private(networks(["8.8.8.8/32"]))
    assert not reaches_private(networks(["10.1.0.0/16"]), networks(["10.0.0.0/8"]))


def test_it_ignores_what_is_not_a_network():
    assert networks(["not-a-cidr", "10.0.0.1"]) == networks(["10.0.0.1/32"])
