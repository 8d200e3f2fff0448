"""Websocket routes: one endpoint each for players, the host and the projector."""

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/play/<str:code>/", consumers.PlayerConsumer.as_asgi()),
    path("ws/host/<str:code>/", consumers.HostConsumer.as_asgi()),
    path("ws/projector/<str:code>/", consumers.ProjectorConsumer.as_asgi()),
]
