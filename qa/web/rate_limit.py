"""Per-address token buckets: how many requests one address may make at once and over time.

A `Rate` of "20/10" lets an address make 20 requests at once and then one every 0.5 s (the
bucket of 20 refills in 10 s). One `RateLimiter` serves one kind of request; it runs on the
server's event loop, so it needs no lock.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_ADDRESSES = 10_000  # buckets kept per limiter; the least recently seen address is dropped


@dataclass(frozen=True)
class Rate:
    """`burst` requests at once, refilled evenly over `per` seconds."""

    burst: int
    per: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "N/S": N requests per S seconds, e.g. "20/10"; ValueError naming the format."""
        try:
            burst, per = (float(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"rate {text!r} is not N/S (N requests per S seconds)") from None
        if burst < 1 or burst != int(burst) or per <= 0:
            raise ValueError(f"rate {text!r}: N must be a whole number >= 1 and S > 0")
        return cls(int(burst), per)

    def __str__(self) -> str:
        return f"{self.burst}/{self.per:g}"


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by client address (IPv6 by its /64: one host often holds a whole
    /64), at most `max_addresses` of them."""

    def __init__(
        self,
        rate: Rate,
        max_addresses: int = MAX_ADDRESSES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.max_addresses = max_addresses
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, address: str) -> float:
        """Spend one token for `address`: 0.0 if it had one, else the seconds until it will."""
        now, key = self.clock(), address_key(address)
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.rate.burst), now)
        self._buckets[key] = bucket  # most recently seen last
        if len(self._buckets) > self.max_addresses:
            self._buckets.popitem(last=False)
        refill = self.rate.burst / self.rate.per
        bucket.tokens = min(self.rate.burst, bucket.tokens + (now - bucket.stamp) * refill)
        bucket.stamp = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / refill


def retry_after(wait: float) -> int:
    """The Retry-After value for a wait of `wait` seconds: whole seconds, at least 1."""
    return max(1, math.ceil(wait))


def address_key(address: str) -> str:
    """The bucket key of a client address: itself, or its /64 network for IPv6."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 (and IPv4-mapped loopback)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if ip.version == 6 else None
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)
