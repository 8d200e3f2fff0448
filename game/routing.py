"""Websocket routes: one endpoint each for players, the host and the projector."""

from typing import Any

from django.urls import path

from . import consumers

# Channels routes ASGI consumers with Django's path(), whose stubs expect a view;
# URLRouter takes the patterns as they are (Any: its stubs name a type of their own).
websocket_urlpatterns: list[Any] = [
    path("ws/play/<str:code>/", consumers.PlayerConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/host/<str:code>/", consumers.HostConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/projector/<str:code>/", consumers.ProjectorConsumer.as_asgi()),  # type: ignore[arg-type]
]
