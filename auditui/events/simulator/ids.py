"""Identifiers drawn from the simulation's own random stream, so a seed reproduces them."""

from __future__ import annotations

from random import Random

# Version 4 and the RFC 4122 variant, set in the 128-bit integer.
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_SET = (0x4000 << 64) | (0x8000 << 48)
# The alphabet Kubernetes uses for generated name suffixes and pod-template hashes.
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def uuid4(rng: Random) -> str:
    h = f"{(rng.getrandbits(128) & _CLEAR) | _SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def suffix(rng: Random, length: int = 5) -> str:
    return "".join(rng.choices(_SAFE, k=length))
