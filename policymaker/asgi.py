"""ASGI entry point: HTTP to Django, websockets to Channels consumers."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policymaker.settings")

# Set up Django (apps, models) before importing anything that imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

import game.routing  # noqa: E402
from game.origins import OriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The origin check refuses cross-site websockets (the browser sends cookies
        # to any page that opens one): scheme, host and port exactly, see
        # game/origins.py. The host's routes load the user (game/routing.py).
        "websocket": OriginValidator(URLRouter(game.routing.websocket_urlpatterns)),
    }
)
