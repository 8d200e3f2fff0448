"""The websocket Origin check: this site's own scheme, host and port, exactly.

A browser sends the seat cookie and the session cookie with a websocket that
any page opens, so a page elsewhere could act in a player's seat; the Origin
header is what tells them apart. Channels' ``AllowedHostsOriginValidator``
compares the host only (any scheme, any port, even ``http://x@host``); here the
Origin must be one of:

- the request's own address: its ``Host`` header (which must be in
  ``ALLOWED_HOSTS``), with ``http`` for ``ws`` and ``https`` for ``wss``;
- an origin in ``settings.CSRF_TRUSTED_ORIGINS`` (``https://*.example.org``
  covers the subdomains, as Django's CSRF check reads it);
- ``settings.PUBLIC_URL`` (the address the room is told to open).

Default ports count as written or not (``http://h`` is ``http://h:80``).
Anything else, a missing Origin included, is refused in the handshake (403).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin; None for anything that is not a plain origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme]


def _matches(origin: tuple[str, str, int], trusted: str) -> bool:
    if "://*." in trusted:  # a subdomain wildcard, as in CSRF_TRUSTED_ORIGINS
        scheme, rest = trusted.split("://*.", 1)
        want = _origin(f"{scheme}://{rest}")
        return bool(
            want
            and origin[0] == want[0]
            and origin[2] == want[2]
            and origin[1].endswith("." + want[1])
        )
    return _origin(trusted) == origin


def allowed(scope: dict[str, Any]) -> bool:
    headers = dict(scope.get("headers") or [])
    try:
        origin_text = headers.get(b"origin", b"").decode("latin1")
        host_text = headers.get(b"host", b"").decode("latin1")
    except Exception:
        return False
    origin = _origin(origin_text) if origin_text else None
    if origin is None:
        return False
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    # The address the request came to: it must be one of ours, as for HTTP.
    domain, _port = split_domain_port(host_text)
    if not domain or not validate_host(domain, allowed_hosts):
        return False
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    if _origin(f"{scheme}://{host_text}") == origin:
        return True
    trusted = list(getattr(settings, "CSRF_TRUSTED_ORIGINS", []) or [])
    public = getattr(settings, "PUBLIC_URL", "") or ""
    if public:
        parts = urlsplit(public)
        trusted.append(f"{parts.scheme}://{parts.netloc}")
    return any(_matches(origin, t) for t in trusted)


class OriginValidator:
    """ASGI middleware: websockets from this site only (see the module's text)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
