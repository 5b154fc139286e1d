"""The client's address behind reverse proxies we trust (``TRUSTED_PROXIES``).

Why: the README asks for a TLS proxy in front of ``WEB_PORT``; without this every request
seemed to come from the proxy, so the per-address limits (sign-in, login codes, uploads) were
one budget for everyone and one person could exhaust it for all (issue 21). A forwarding
header is believed only when the peer itself is a trusted proxy (otherwise anyone could name
any address and dodge the limits); the chain is read from the right, skipping trusted proxies,
and the first address not in ``TRUSTED_PROXIES`` is the client.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_FOR = re.compile(r'(?i)(?:^|[;,\s])for\s*=\s*("?)([^;,"]*)\1')


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 127.0.0.1, ::1"`` → networks; ValueError names a bad entry."""
    nets: list[Network] = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            try:
                nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"not an address or CIDR network: {item!r}") from None
    return tuple(nets)


def _address(token: str) -> Address | None:
    token = token.strip().strip('"')
    if token.startswith("["):  # "[2001:db8::1]:4711"
        token = token[1 : token.find("]")] if "]" in token else ""
    elif token.count(":") == 1:  # "192.0.2.1:4711"
        token = token.split(":", 1)[0]
    try:
        return ipaddress.ip_address(token)
    except ValueError:
        return None


def _trusted(address: Address | None, networks: Sequence[Network]) -> bool:
    return address is not None and any(address in net for net in networks)


def forwarded_chain(forwarded: str | None, x_forwarded_for: str | None) -> list[Address | None]:
    """Addresses named by the proxies, leftmost (the original client) first. ``Forwarded``
    (RFC 7239) wins over ``X-Forwarded-For``; unreadable entries are None."""
    if forwarded:
        return [_address(m.group(2)) for m in _FOR.finditer(forwarded)]
    if x_forwarded_for:
        return [_address(part) for part in x_forwarded_for.split(",")]
    return []


def client_address(
    peer: str | None,
    forwarded: str | None,
    x_forwarded_for: str | None,
    networks: Sequence[Network],
) -> str:
    """The address limits should count: the peer, unless it is a trusted proxy."""
    peer_address = _address(peer or "")
    if not networks or not _trusted(peer_address, networks):
        return peer or "?"
    for address in reversed(forwarded_chain(forwarded, x_forwarded_for)):
        if address is None:
            break  # a proxy we trust wrote something unreadable: stop at what it saw
        if not _trusted(address, networks):
            return str(address)
    return peer or "?"
