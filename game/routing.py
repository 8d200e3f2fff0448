"""Websocket routes: one endpoint each for players, the host and the projector.

A player is known by the seat cookie alone, so its route reads the cookies and
nothing else. The host's and the projector's routes load the Django session and
its user (``scope["user"]``), which takes the database thread before the
consumer can accept the handshake: with a busy server a phone's handshake would
wait behind every queued action and time out (Daphne gives it 5 s), and the
phones retrying would make the queue longer still.
"""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.sessions import CookieMiddleware
from django.urls import path

from . import consumers

# Channels routes ASGI consumers with Django's path(), whose stubs expect a view;
# URLRouter takes the patterns as they are (Any: its stubs name a type of their own).
websocket_urlpatterns: list[Any] = [
    path("ws/play/<str:code>/", CookieMiddleware(consumers.PlayerConsumer.as_asgi())),
    path("ws/host/<str:code>/", AuthMiddlewareStack(consumers.HostConsumer.as_asgi())),  # type: ignore[arg-type]
    path(
        "ws/projector/<str:code>/",
        AuthMiddlewareStack(consumers.ProjectorConsumer.as_asgi()),  # type: ignore[arg-type]
    ),
]
