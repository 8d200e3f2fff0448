"""Websocket routes (stub: the lead fills it in)."""

websocket_urlpatterns: list = []
