"""Clients for tests: websockets as a browser on this site would open them."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator

from game.consumers import seat_cookie
from policymaker.asgi import application


def connect(
    path: str, *, cookies: dict[str, str] | None = None, user=None
) -> WebsocketCommunicator:
    """A websocket client as a browser on this site would open it."""
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if cookies:
        headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    if user is not None:
        communicator.scope["user"] = user
    return communicator


def player_client(session, token: str) -> WebsocketCommunicator:
    return connect(f"/ws/play/{session.code}/", cookies={seat_cookie(session.code): token})
