"""CIDR arithmetic for the exposure flags: whether nets (minus exceptions) reach the internet
(any address outside the private, shared, loopback and link-local ranges) or the cluster's own
address space (where pod addresses live)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

PRIVATE = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "fc00::/7", "fe80::/10", "::1/128",
))


@lru_cache(maxsize=4096)
def network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        return None


def networks(texts: Iterable[object]) -> list[Network]:
    return [n for n in (network(str(t)) for t in texts) if n is not None]


def subtract(nets: Iterable[Network], excepts: Iterable[Network]) -> list[Network]:
    """What of ``nets`` is left once ``excepts`` are taken out."""
    pieces = list(nets)
    for exc in excepts:
        left: list[Network] = []
        for piece in pieces:
            if piece.version != exc.version or not piece.overlaps(exc):
                left.append(piece)
            elif not piece.subnet_of(exc):  # type: ignore[arg-type]
                left.extend(piece.address_exclude(exc))  # type: ignore[arg-type]
        pieces = left
    return pieces


def reaches_internet(nets: Iterable[Network], excepts: Iterable[Network] = ()) -> bool:
    return bool(subtract(subtract(nets, excepts), PRIVATE))


def reaches_private(nets: Iterable[Network], excepts: Iterable[Network] = ()) -> bool:
    left = subtract(nets, excepts)
    return any(p.version == r.version and p.overlaps(r) for p in left for r in PRIVATE)
