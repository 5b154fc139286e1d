"""core.netaddr: the client's address behind trusted proxies (issue 21 #2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError
from core.netaddr import client_address, parse_networks
from tests.conftest import make_settings

NETS = parse_networks("127.0.0.1, 10.0.0.0/8, ::1")


def test_only_a_trusted_peer_is_believed() -> None:
    assert client_address("127.0.0.1", None, "203.0.113.7", NETS) == "203.0.113.7"
    assert client_address("198.51.100.1", None, "203.0.113.7", NETS) == "198.51.100.1"
    assert client_address("127.0.0.1", None, "203.0.113.7", ()) == "127.0.0.1"
    assert client_address("127.0.0.1", None, None, NETS) == "127.0.0.1"


def test_the_chain_is_read_from_the_right_skipping_trusted_proxies() -> None:
    # The client wrote a fake first entry; our proxies appended the real one after it.
    xff = "1.2.3.4, 203.0.113.7, 10.1.2.3"
    assert client_address("127.0.0.1", None, xff, NETS) == "203.0.113.7"
    assert client_address("127.0.0.1", None, "garbage, 203.0.113.7", NETS) == "203.0.113.7"
    assert client_address("127.0.0.1", None, "203.0.113.7, garbage", NETS) == "127.0.0.1"


def test_rfc7239_forwarded_wins() -> None:
    fwd = 'for=192.0.2.60;proto=https, for="[2001:db8::1]:4711"'
    assert client_address("::1", fwd, "203.0.113.7", NETS) == "2001:db8::1"
    assert client_address("::1", "for=192.0.2.60:8080", None, NETS) == "192.0.2.60"


def test_the_setting(tmp_path: Path) -> None:
    assert make_settings(tmp_path).trusted_proxies == ()
    s = make_settings(tmp_path, TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8")
    assert s.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        make_settings(tmp_path, TRUSTED_PROXIES="not-a-network")
