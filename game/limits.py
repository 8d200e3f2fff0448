"""Rate limits for joining: token buckets per address, kept in Django's cache.

A bucket is the generic cell rate algorithm: one stored time per key (when the
bucket would be full again), so a limit costs one cache read and write. With
Redis (``REDIS_URL``) every server process shares the buckets; without it each
process keeps its own, which is right for the one-process default.

The numbers (settings ``JOIN_BURST``/``JOIN_INTERVAL`` and
``CODE_GUESS_BURST``/``CODE_GUESS_INTERVAL``) and why are in the README.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

clock = time.time  # the tests move time on by replacing this
_lock = threading.Lock()  # one process's requests; across processes a race costs a token

JOIN_PASS_HEADER = "X-Join-Pass"


def _wait_for(key: str, burst: int, interval: float, *, take: bool) -> float:
    """0 if the bucket ``key`` has a token (taken if ``take``), else the seconds until it has."""
    now = clock()
    with _lock:
        full_at = max(cache.get(key) or now, now)
        after = full_at + interval
        excess = after - now - burst * interval
        if excess > 1e-9:
            return excess
        if take:
            cache.set(key, after, timeout=math.ceil(burst * interval) + 60)
        return 0.0


def client_address(request: HttpRequest) -> str:
    """The address a request came from, as the limits count it.

    IPv6 counts per /64: one device can pick any address in its network's /64.
    Behind a proxy, Daphne's --proxy-headers makes REMOTE_ADDR the client's.
    """
    raw = request.META.get("REMOTE_ADDR") or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def join_wait(address: str, session_id: int) -> float:
    """Take a join from this address into this session: 0, or seconds to wait."""
    return _wait_for(
        f"join:{session_id}:{address}",
        settings.JOIN_BURST,
        settings.JOIN_INTERVAL,
        take=True,
    )


def guess_wait(address: str, *, take: bool) -> float:
    """A wrong (unknown or ended) code from this address: 0, or seconds to wait."""
    return _wait_for(
        f"code:{address}", settings.CODE_GUESS_BURST, settings.CODE_GUESS_INTERVAL, take=take
    )


def join_pass(code: str) -> str:
    """The pass that lets the server's own bots join past the limits and the locked lobby.

    Only code that has the SECRET_KEY can make it (the host's "rehearse with bots",
    ``manage.py play_bots``/``rehearse``); it is good for one session code.
    """
    return salted_hmac("game.limits.join_pass", code.upper()).hexdigest()


def has_join_pass(request: HttpRequest, code: str) -> bool:
    given = request.headers.get(JOIN_PASS_HEADER, "")
    return bool(given) and constant_time_compare(given, join_pass(code))


def seconds(wait: float) -> int:
    """A wait as the whole seconds a person is told (at least 1)."""
    return max(1, math.ceil(wait))
